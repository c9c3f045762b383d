"""Substring search by client name at a million rows needs a trigram index.

PostgreSQL only: pg_trgm is a trusted extension (PostgreSQL 13+), so the
database owner can create it. SQLite, for one office PC, keeps the plain scan.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS crm_client_search_trgm ON crm_client USING gin (search_key gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS crm_client_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_audit_actions")]
    operations = [migrations.RunPython(forwards, backwards)]
