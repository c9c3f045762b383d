"""Copies the dashboards read without joining deals: the fee and termination reason on each stage move,
the deal's branch, manager, source and line on each payment. Existing rows take the deal's values now."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Deal = apps.get_model("deals", "Deal")
    DealStageChange = apps.get_model("deals", "DealStageChange")
    Payment = apps.get_model("deals", "Payment")
    deal = Deal.objects.filter(pk=OuterRef("deal_id"))
    DealStageChange.objects.update(fee=Subquery(deal.values("fee")[:1]))
    DealStageChange.objects.filter(to_stage__in=["db_terminated", "du_terminated"]).update(
        termination_reason=Subquery(deal.values("termination_reason")[:1])
    )
    Payment.objects.update(
        branch_id=Subquery(deal.values("branch_id")[:1]),
        manager_id=Subquery(deal.values("manager_id")[:1]),
        source=Subquery(deal.values("source")[:1]),
        service_line=Subquery(deal.values("service_line")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("deals", "0010_stage_documents_incoming"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="dealstagechange",
            name="fee",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True),
        ),
        migrations.AddField(
            model_name="dealstagechange",
            name="termination_reason",
            field=models.TextField(blank=True, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="payment",
            name="branch",
            field=models.ForeignKey(
                db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="crm.branch"
            ),
        ),
        migrations.AddField(
            model_name="payment",
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
            model_name="payment",
            name="source",
            field=models.CharField(choices=[("call", "Звонок"), ("site", "Сайт"), ("referral", "Рекомендация"), ("mail", "Почта"), ("partner", "Партнёр"), ("walk_in", "Пришёл в офис"), ("other", "Другое")], default="", editable=False, max_length=10),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="payment",
            name="service_line",
            field=models.CharField(choices=[("db", "ДБ — банкротство физлиц"), ("du", "ДУ — юридические услуги")], default="", editable=False, max_length=2),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="payment",
            name="branch",
            field=models.ForeignKey(
                db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="crm.branch"
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="manager",
            field=models.ForeignKey(
                db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["branch", "paid_on"], name="payment_branch_paid"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["manager", "paid_on"], name="payment_manager_paid"),
        ),
    ]
