"""Day one: read the firm's existing Disk tree (the firm's layout) into branches, managers, clients and deals.

    <Филиал> - <ФИО менеджера>/ДБ/<папка стадии>/<Фамилия И.О.>
    <Филиал> - <ФИО менеджера>/ДУ/<год договора | В работе (не заключенные)>/<Фамилия И.О.>

Running it twice creates nothing twice: a folder already known by its path is skipped.
What cannot be placed is reported with its path and why.
"""

import re

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from clients.models import Client, TimelineEntry
from clients.services import timeline_add
from crm.models import Branch, User
from crm.pipelines import ServiceLine, Stage
from crm.roles import Role
from crm.services import audit_record
from deals.services import deal_import
from integrations.models import ClientFolder, DiskImportRun
from integrations.yandex_disk import paths
from integrations.yandex_disk.client import build_client

STAGE_BY_FOLDER = {name: stage for stage, name in paths.DB_STAGE_FOLDERS.items()}
ROOT = re.compile(r"^(?P<branch>.+?) - (?P<manager>.+)$")
CLIENT = re.compile(r"^(?P<last>[^\s]+)\s+(?P<initials>[^\s(]+)(?:\s+\((?P<n>\d+)\))?$")


def _dirs(disk, path: str) -> list[str]:
    return sorted(item.name for item in disk.listdir(path) if item.type == "dir")


class Importer:
    def __init__(self, run: DiskImportRun):
        self.run = run
        self.disk = build_client()
        self.known = set(ClientFolder.objects.exclude(synced_path="").values_list("synced_path", flat=True))

    def problem(self, path: str, why: str) -> None:
        self.run.problems.append({"path": path, "why": why})

    def go(self) -> DiskImportRun:
        for root in _dirs(self.disk, "/"):
            if root.startswith("CRM - "):
                continue  # the CRM's own payments tables
            match = ROOT.match(root)
            if not match:
                self.problem(f"/{root}", "папка верхнего уровня не в виде «Филиал - ФИО менеджера»")
                continue
            manager = self.manager(match["branch"].strip(), match["manager"].strip())
            for line in _dirs(self.disk, f"/{root}"):
                if line == "ДБ":
                    self.line(manager, f"/{root}/ДБ", ServiceLine.DB)
                elif line == "ДУ":
                    self.line(manager, f"/{root}/ДУ", ServiceLine.DU)
                else:
                    self.problem(f"/{root}/{line}", "ожидались папки «ДБ» и «ДУ»")
            self.save()
        self.run.status = DiskImportRun.Status.DONE
        self.run.finished_at = timezone.now()
        self.save()
        return self.run

    def save(self) -> None:
        self.run.save()

    def manager(self, branch_name: str, full_name: str) -> User:
        branch = Branch.objects.filter(name__iexact=branch_name).first()
        if branch is None:
            branch = Branch.objects.create(name=branch_name, city=branch_name)
            audit_record(actor=self.run.started_by, action="create", target=branch, changes={"from": "Яндекс.Диск"})
        user = User.objects.filter(full_name__iexact=full_name).first()
        if user is None:
            base = "import." + str(User.objects.count() + 1)
            head = User.objects.filter(branch=branch, role=Role.HEAD_OF_SALES, is_active=True).first()
            user = User.objects.create(
                username=base,
                full_name=full_name,
                role=Role.MANAGER,
                branch=branch,
                supervisor=head,
                password=make_password(None),  # no login until an admin sets a password
            )
            audit_record(actor=self.run.started_by, action="create", target=user, changes={"from": "Яндекс.Диск"})
            self.problem(
                f"/{branch_name} - {full_name}", f"менеджер не найден — создан «{full_name}» ({base}), задайте пароль"
            )
        return user

    def line(self, manager: User, path: str, service_line: str) -> None:
        for sub in _dirs(self.disk, path):
            if service_line == ServiceLine.DB:
                stage, year = STAGE_BY_FOLDER.get(sub), None
            elif sub == paths.DU_BEFORE_CONTRACT:
                stage, year = Stage.DU_IN_WORK, None
            elif sub.isdigit() and len(sub) == 4:
                stage, year = Stage.DU_CONTRACTED, int(sub)
            else:
                stage, year = None, None
            if stage is None:
                self.problem(f"{path}/{sub}", "неизвестная папка стадии")
                continue
            for name in _dirs(self.disk, f"{path}/{sub}"):
                self.client(manager, f"{path}/{sub}/{name}", name, service_line, stage, year)

    @transaction.atomic
    def client(self, manager, folder_path, name, service_line, stage, year) -> None:
        self.run.folders_seen += 1
        if folder_path in self.known:
            self.run.already_known += 1
            return
        match = CLIENT.match(name)
        if not match:
            self.problem(folder_path, "имя папки не в виде «Фамилия И.О.»")
            return
        initials = [p for p in match["initials"].split(".") if p]
        client = Client.objects.create(
            kind=Client.Kind.PERSON,
            last_name=match["last"],
            first_name=f"{initials[0]}." if initials else "",
            patronymic=f"{initials[1]}." if len(initials) > 1 else "",
            display_name=f"{match['last']} {match['initials']}",
            search_key=f"{match['last']} {match['initials']}".casefold(),
            manager=manager,
            branch_id=manager.branch_id,
        )
        timeline_add(
            client=client,
            kind=TimelineEntry.Kind.CREATED,
            text=f"Клиент из папки на Яндекс.Диске: {folder_path}. Полное ФИО и телефон внесите в карточку.",
        )
        deal_import(client=client, service_line=service_line, stage=stage, manager=manager, source_note=folder_path)
        ClientFolder.objects.create(
            client=client,
            folder_name=name,
            synced_path=folder_path,
            questionnaire_uploaded=True,  # the office's own questionnaire is already in the folder
            year_hint=year,
            synced_at=timezone.now(),
        )
        self.known.add(folder_path)
        self.run.clients_created += 1


def disk_import(*, run: DiskImportRun) -> DiskImportRun:
    """Import the Disk tree into the CRM; the run keeps the figures and the problems."""
    try:
        return Importer(run).go()
    except Exception as exc:
        run.status = DiskImportRun.Status.FAILED
        run.problems.append({"path": "/", "why": f"импорт прерван: {type(exc).__name__}: {exc}"[:500]})
        run.finished_at = timezone.now()
        run.save()
        raise
