"""The deal's branch, manager, source and line on each instalment (kept in step by deal_reassign), and the
payments dashboard's covering indexes over them. Existing rows take the deal's values."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery

SOURCES = [
    ("call", "Звонок"),
    ("site", "Сайт"),
    ("referral", "Рекомендация"),
    ("mail", "Почта"),
    ("partner", "Партнёр"),
    ("walk_in", "Пришёл в офис"),
    ("other", "Другое"),
]
LINES = [("db", "ДБ — банкротство физлиц"), ("du", "ДУ — юридические услуги")]


def backfill(apps, schema_editor):
    Deal = apps.get_model("deals", "Deal")
    Instalment = apps.get_model("deals", "Instalment")
    deal = Deal.objects.filter(pk=OuterRef("deal_id"))
    Instalment.objects.update(
        branch_id=Subquery(deal.values("branch_id")[:1]),
        manager_id=Subquery(deal.values("manager_id")[:1]),
        source=Subquery(deal.values("source")[:1]),
        service_line=Subquery(deal.values("service_line")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("deals", "0011_denormalized_analytics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="instalment", name="instalment_unpaid_due"),
        migrations.RemoveIndex(model_name="instalment", name="instalment_due"),
        migrations.AddField(
            model_name="instalment",
            name="branch",
            field=models.ForeignKey(
                db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="crm.branch"
            ),
        ),
        migrations.AddField(
            model_name="instalment",
            name="manager",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="instalment",
            name="source",
            field=models.CharField(choices=SOURCES, default="", editable=False, max_length=10),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="instalment",
            name="service_line",
            field=models.CharField(choices=LINES, default="", editable=False, max_length=2),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="instalment",
            name="branch",
            field=models.ForeignKey(
                db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="crm.branch"
            ),
        ),
        migrations.AlterField(
            model_name="instalment",
            name="manager",
            field=models.ForeignKey(
                db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddIndex(
            model_name="instalment",
            index=models.Index(
                condition=Q(paid_amount__lt=F("amount")),
                fields=["due_date"],
                include=["id", "branch", "manager", "source", "service_line", "deal", "amount", "paid_amount"],
                name="instalment_unpaid_due",
            ),
        ),
        migrations.AddIndex(
            model_name="instalment",
            index=models.Index(
                fields=["due_date"],
                include=["branch", "manager", "source", "service_line", "amount", "paid_amount"],
                name="instalment_due",
            ),
        ),
        migrations.AddIndex(
            model_name="instalment",
            index=models.Index(
                fields=["branch", "due_date"],
                include=["manager", "source", "service_line", "amount", "paid_amount"],
                name="instalment_branch_due",
            ),
        ),
        migrations.AddIndex(
            model_name="instalment",
            index=models.Index(fields=["manager", "due_date"], name="instalment_manager_due"),
        ),
    ]
