from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.models import DiskImportRun
from integrations.yandex_disk.importer import disk_import


class Command(BaseCommand):
    help = "Импортировать существующее дерево папок Яндекс.Диска: филиалы, менеджеров, клиентов и сделки."

    def handle(self, *args, **options):
        if not settings.YANDEX_DISK_TOKEN:
            raise CommandError("Не задан YANDEX_DISK_TOKEN.")
        run = disk_import(run=DiskImportRun.objects.create())
        self.stdout.write(
            f"Папок клиентов: {run.folders_seen}, создано клиентов: {run.clients_created}, "
            f"уже были: {run.already_known}, не размещено: {len(run.problems)}"
        )
        for problem in run.problems:
            self.stdout.write(f"  {problem['path']}: {problem['why']}")
