from django.db import migrations
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    """Clients already abandoned, in the pool or lost take their newest deal's stage as it is now."""
    Client = apps.get_model("clients", "Client")
    Deal = apps.get_model("deals", "Deal")
    newest = Deal.objects.filter(client=OuterRef("pk")).order_by("-id").values("stage")[:1]
    Client.objects.filter(status__in=["abandoned", "pool", "lost"]).update(
        loss_stage=Coalesce(Subquery(newest), Value(""))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0005_analytics_covering_indexes"),
        ("clients", "0007_loss_stage"),
        ("deals", "0016_open_deals_by_manager"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
