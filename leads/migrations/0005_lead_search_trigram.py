"""The header search finds leads by part of a name, a phone or an e-mail: trigram indexes.

Names are matched as typed (lower, Capitalised and UPPER spellings of each word), phones and
e-mails as stored (normalised). PostgreSQL only (pg_trgm: crm 0005).
"""

from django.db import migrations

INDEXES = {
    "leads_lead_name_trgm": "leads_lead USING gin (name gin_trgm_ops)",
    "leads_lead_phone_trgm": "leads_lead USING gin (phone_norm gin_trgm_ops)",
    "leads_lead_email_trgm": "leads_lead USING gin (email_norm gin_trgm_ops)",
    "leads_leadphone_number_trgm": "leads_leadphone USING gin (number_norm gin_trgm_ops)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_history_phones_merge")]
    operations = [migrations.RunPython(forwards, backwards)]
