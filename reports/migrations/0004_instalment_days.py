from django.db import migrations


def mark(apps, schema_editor):
    """Every due date of an instalment is marked for the rollup to sum («instalment», reports/analytics/rollup.py)."""
    Instalment = apps.get_model("deals", "Instalment")
    StaleDay = apps.get_model("crm", "StaleDay")
    days = Instalment.objects.order_by().values_list("due_date", flat=True).distinct()
    StaleDay.objects.bulk_create([StaleDay(topic="instalment", day=day) for day in days], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_activity_days"),
        ("deals", "0016_open_deals_by_manager"),
    ]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
