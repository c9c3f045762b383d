"""Clients get `email_norm`, the address letters are matched to (integrations/mail), filled for every client
in one UPDATE (trimmed and lower-cased, as crm.phones.normalize_email does for the ASCII addresses on file)."""

from django.db import migrations, models
from django.db.models.functions import Lower, Trim


def fill(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    Client.objects.exclude(email="").update(email_norm=Lower(Trim("email")))


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_document_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="email_norm",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=254),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
