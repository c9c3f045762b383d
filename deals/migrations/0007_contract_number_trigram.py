"""Search by any part of a contract number («ДБ-777») at a million deals: trigrams on its upper case.

The expression is the one Django's `icontains` compares (`UPPER(contract_number::text)`), so the
planner uses the index. PostgreSQL only; SQLite keeps the plain scan.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS deals_deal_contract_trgm ON deals_deal "
        "USING gin ((UPPER(contract_number::text)) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS deals_deal_contract_trgm")


class Migration(migrations.Migration):
    dependencies = [("deals", "0006_board_fee_totals_payment_register")]
    operations = [migrations.RunPython(forwards, backwards)]
