from django.db import migrations
from django.db.models.functions import TruncDate
from django.utils import timezone


def mark(apps, schema_editor):
    """Every day with «дела» is marked for the rollup to sum («activity», reports/analytics/rollup.py)."""
    Activity = apps.get_model("activities", "Activity")
    StaleDay = apps.get_model("crm", "StaleDay")
    days = (
        Activity.objects.exclude(kind="busy")
        .annotate(day=TruncDate("planned_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )
    StaleDay.objects.bulk_create([StaleDay(topic="activity", day=day) for day in days], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_fact_rollup"),
        ("crm", "0012_stale_day"),
        ("activities", "0005_analytics_covering_indexes"),
    ]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
