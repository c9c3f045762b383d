from django.core.management.base import BaseCommand

from crm import demo
from reports.analytics import rollup
from web.demo.activities import seed_activities
from web.demo.documents import seed_documents
from web.demo.incoming import seed_incoming, seed_stage_document_rules
from web.demo.mail import seed_mail
from web.demo.pipeline import seed_pipeline
from web.demo.reports import seed_daily_reports
from web.demo.tasks import seed_stage_automation, seed_tasks
from web.demo.telephony import seed_telephony


class Command(BaseCommand):
    help = "Загрузить демо-данные (повторный запуск ничего не дублирует)."

    def handle(self, *args, **options):
        created = (
            demo.seed_org_chart()
            + seed_stage_automation()
            + seed_stage_document_rules()
            + seed_pipeline()
            + seed_tasks()
            + seed_incoming()
            + seed_activities()
            + seed_daily_reports()
            + seed_documents()
            + seed_telephony()
            + seed_mail()
        )
        # The dashboards' sums by day and month take in the demo's moves and payments (a beat job does it after);
        # the demo dates its rows back past the services, so every day of its requests, «дела» and instalments
        # is summed afresh.
        rollup.mark_all_stale("lead")
        rollup.mark_all_stale("activity")
        rollup.mark_all_stale("instalment")
        rollup.refresh()
        if created:
            self.stdout.write(f"Создано: {len(created)} ({', '.join(created)})")
        else:
            self.stdout.write("Демо-данные уже загружены, ничего не создано.")
        self.stdout.write(f"Демо-логины (пароль {demo.DEMO_PASSWORD}): " + ", ".join(row[0] for row in demo.STAFF))
