"""On PostgreSQL: two planned calendar entries of one manager can never overlap.

An exclusion constraint (btree_gist for the equality on the manager) is the
guarantee two operators clicking at the same moment cannot break. SQLite has
no such constraint; there the booking service's IMMEDIATE transaction
serialises writers instead (see crm/activity_services.py).
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE crm_activity ADD CONSTRAINT activity_no_overlap EXCLUDE USING gist (
    responsible_id WITH =,
    tstzrange(planned_at, ends_at, '[)') WITH &&
) WHERE (status = 'planned' AND ends_at IS NOT NULL);
"""
DROP = "ALTER TABLE crm_activity DROP CONSTRAINT IF EXISTS activity_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("crm", "0007_activities")]

    operations = [migrations.RunPython(forwards, backwards)]
