"""The Disk mirror: converge each client's folder (and each manager's payments table) to the database.

Every job works from the current state, not from the event that queued it:
where the folder should be now, where it was last seen. So a job run twice
changes nothing, two jobs for one client cannot overtake each other, and a
worker killed halfway leaves work the next run finishes.
"""

import io
import random
import tempfile
from dataclasses import dataclass
from datetime import timedelta

import yadisk
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook
from yadisk import exceptions as ya

from clients.models import Client, ClientDocument
from crm import outbox
from crm.excel import append_row
from crm.models import User
from crm.pipelines import CLOSED
from deals.models import Deal
from deals.payments_excel import payments_export
from integrations.models import ClientFolder
from integrations.yandex_disk import paths
from integrations.yandex_disk.client import build_client

QUESTIONNAIRE = "Анкета.xlsx"
PAYMENTS_FILE = "Платежи.xlsx"
# Network trouble, 429 and 5xx are worth another try; everything else (401, 403, 507…) needs a person.
TRANSIENT = (ya.RetriableYaDiskError, ya.TooManyRequestsError, ya.RequestError)


# The outbox's kinds for the Disk: a client's folder (keyed by client id) and a manager's
# payments table (keyed by manager id). Their handlers are in handlers.py.
CLIENT_KIND = "disk.client"
PAYMENTS_KIND = "disk.payments"


class DiskTransientError(outbox.TransientError):
    """Network trouble, 429, 5xx: the outbox tries again with the Disk's backoff."""


class DiskPermanentError(outbox.PermanentError):
    """401, 507 and the like: kept for the admin's «Повторить»."""


class DiskNotFound(Exception):
    """The folder or file asked for is not on the Disk (moved or deleted by hand): the
    Disk did answer, so this is neither a network failure nor worth a retry."""


def backoff_seconds(attempts: int) -> float:
    """5 s, 10 s, 20 s … up to an hour, with jitter so a crowd of retries spreads out."""
    cap = settings.YANDEX_DISK_BACKOFF_MAX_SECONDS
    base = min(cap, settings.YANDEX_DISK_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))
    return round(base * random.uniform(0.8, 1.2), 2)


# What the admin reads on the sync page, in the office's words; the API's own name stays for support.
PLAIN = {
    "InsufficientStorageError": "На Диске кончилось место (507): освободите место или расширьте тариф.",
    "UnauthorizedError": "Токен Яндекс.Диска не подходит (401): выпустите новый и задайте YANDEX_DISK_TOKEN.",
    "ForbiddenError": "Нет прав на папку (403).",
    "TooManyRequestsError": "Диск просит подождать (429).",
    "YaDiskConnectionError": "Нет связи с Диском.",
    "RequestTimeoutError": "Диск не ответил вовремя.",
}


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    if name in PLAIN:
        return f"{PLAIN[name]} [{name}]"
    if isinstance(exc, ya.RetriableYaDiskError):
        return f"Диск временно недоступен. [{name}]"
    return f"{name}: {exc}"[:1000]


# --- where things belong -----------------------------------------------------------------


def folder_deal(client: Client) -> Deal | None:
    """The deal whose stage places the folder: the newest open one, else the newest."""
    deals = list(Deal.objects.filter(client=client).select_related("manager__branch").order_by("-id")[:20])
    open_deals = [d for d in deals if d.stage not in CLOSED]
    return (open_deals or deals or [None])[0]


def _name_taken(base: str) -> set[str]:
    return set(
        ClientFolder.objects.filter(Q(folder_name=base) | Q(folder_name__startswith=f"{base} (")).values_list(
            "folder_name", flat=True
        )
    )


def folder_record(client: Client) -> ClientFolder:
    """The client's folder row with a stable, readable, unique name; a rename gets a new name."""
    base = paths.clean_name(client.short_name or client.display_name)
    for _ in range(5):
        folder = ClientFolder.objects.filter(client=client).first()
        current_base = folder.folder_name.rsplit(" (", 1)[0] if folder else None
        if folder and current_base == base:
            return folder
        name = paths.client_folder_name(
            base, taken=_name_taken(base) - {folder.folder_name if folder else ""}, client_id=client.pk
        )
        try:
            with transaction.atomic():
                if folder:
                    ClientFolder.objects.filter(pk=folder.pk).update(folder_name=name)
                    folder.folder_name = name
                    return folder
                return ClientFolder.objects.create(client=client, folder_name=name)
        except IntegrityError:
            continue  # a namesake took that name a moment ago: pick again
    raise DiskPermanentError(f"не удалось выбрать имя папки для «{base}»")


def expected_path(client: Client, folder: ClientFolder) -> str | None:
    deal = folder_deal(client)
    if deal is None:
        return None
    return paths.client_folder(
        branch_name=deal.manager.branch.name,
        manager_full_name=deal.manager.full_name,
        stage=deal.stage,
        contract_year=deal.contract_date.year if deal.contract_date else folder.year_hint,
        folder_name=folder.folder_name,
    )


# --- Disk operations, each safe to repeat ------------------------------------------------------


def _mkdirs(disk: yadisk.Client, path: str) -> None:
    """Make `path` and any missing parents; an existing folder is fine. One call when the parent exists."""
    try:
        disk.mkdir(path)
    except ya.PathExistsError:
        return
    except ya.ParentNotFoundError:
        parent = path.rsplit("/", 1)[0]
        if parent:
            _mkdirs(disk, parent)
        try:
            disk.mkdir(path)
        except ya.PathExistsError:
            return


def _move(disk: yadisk.Client, src: str, dst: str) -> None:
    try:
        disk.move(src, dst)
    except ya.ParentNotFoundError:
        _mkdirs(disk, dst.rsplit("/", 1)[0])
        try:
            disk.move(src, dst)
        except ya.PathNotFoundError:
            _mkdirs(disk, dst)
    except ya.PathNotFoundError:
        # The source is gone: moved already by a run that died before recording it, or removed by hand.
        _mkdirs(disk, dst)
    except ya.PathExistsError:
        pass  # the destination is there: a previous run got this far


def _questionnaire(client: Client, deal: Deal | None) -> bytes:
    """The intake questionnaire as the office fills it in. Passport, СНИЛС, ИНН stay in the CRM."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Анкета"
    phones = ", ".join(p.number for p in client.phones.all())
    rows = [
        ("Анкета клиента", ""),
        ("ФИО / организация", client.display_name),
        ("Телефоны", phones),
        ("E-mail", client.email),
        ("Дата рождения", client.birth_date.strftime("%d.%m.%Y") if client.birth_date else ""),
        ("Адрес", client.address),
        ("Регион", client.region),
        ("Направление", deal.get_service_line_display() if deal else ""),
        ("Менеджер", deal.manager.full_name if deal else ""),
        ("", ""),
        ("Кредиторы (наименование, сумма)", ""),
        ("Доходы", ""),
        ("Имущество", ""),
        ("Сделки за последние 3 года", ""),
    ]
    for row in rows:
        append_row(ws, row)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 60
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the client job ------------------------------------------------------------------------------


def _take_lease(folder: ClientFolder) -> bool:
    now = timezone.now()
    return bool(
        ClientFolder.objects.filter(pk=folder.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=settings.YANDEX_DISK_LEASE_SECONDS))
    )


@dataclass
class SyncResult:
    outcome: str  # synced | busy | nothing | failed
    path: str = ""


def client_sync(*, client_id: int) -> SyncResult:
    """Bring one client's folder and documents on the Disk in line with the database.

    Runs from the outbox (integrations/yandex_disk/handlers.py): it converges to
    what the database says now, so running it twice changes nothing.
    """
    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        return SyncResult("nothing")
    folder = folder_record(client)
    if not _take_lease(folder):
        return SyncResult("busy")
    try:
        target = expected_path(client, folder)
        if target is None:
            _finish(folder, synced_path=folder.synced_path)
            return SyncResult("nothing")
        disk = build_client()
        if folder.synced_path and folder.synced_path != target:
            _move(disk, folder.synced_path, target)
        else:
            _mkdirs(disk, target)
        if folder.synced_path != target:
            # Recorded at once: should an upload below fail and the deal move meanwhile,
            # the next run moves this folder instead of leaving it behind and making another.
            ClientFolder.objects.filter(pk=folder.pk).update(synced_path=target)
        if not folder.questionnaire_uploaded:
            disk.upload(
                io.BytesIO(_questionnaire(client, folder_deal(client))), f"{target}/{QUESTIONNAIRE}", overwrite=True
            )
            ClientFolder.objects.filter(pk=folder.pk).update(questionnaire_uploaded=True)
        for document in ClientDocument.objects.filter(client=client, on_disk_at__isnull=True):
            with document.file.open("rb") as fh:
                disk.upload(fh, f"{target}/{paths.clean_name(document.name)}", overwrite=True)
            ClientDocument.objects.filter(pk=document.pk).update(on_disk_at=timezone.now())
    except TRANSIENT as exc:
        _release(folder)
        raise DiskTransientError(_describe(exc)) from exc
    except (ya.YaDiskError, DiskPermanentError) as exc:
        _release(folder)
        raise DiskPermanentError(_describe(exc)) from exc
    except BaseException:
        _release(folder)
        raise
    _finish(folder, synced_path=target)
    return SyncResult("synced", target)


def _release(folder: ClientFolder) -> None:
    ClientFolder.objects.filter(pk=folder.pk).update(lease_until=None)


def _finish(folder, *, synced_path: str) -> None:
    ClientFolder.objects.filter(pk=folder.pk).update(
        synced_path=synced_path, synced_at=timezone.now(), lease_until=None
    )


# --- the payments table -----------------------------------------------------------------------------


def payments_sync(*, manager_id: int) -> SyncResult:
    """Upload the manager's payments table (the same Excel the payments page exports)."""
    manager = User.objects.select_related("branch").filter(pk=manager_id).first()
    if manager is None or manager.branch is None:
        return SyncResult("nothing")
    folder = paths.payments_folder(branch_name=manager.branch.name, manager_full_name=manager.full_name)
    try:
        content = payments_export(user=manager, manager_id=manager.pk, by_mirror=True)
        disk = build_client()
        _mkdirs(disk, folder)
        disk.upload(io.BytesIO(content), f"{folder}/{PAYMENTS_FILE}", overwrite=True)
    except TRANSIENT as exc:
        raise DiskTransientError(_describe(exc)) from exc
    except ya.YaDiskError as exc:
        raise DiskPermanentError(_describe(exc)) from exc
    return SyncResult("synced", f"{folder}/{PAYMENTS_FILE}")


# --- redrive, retry, reconciliation -----------------------------------------------------------------


def reconcile(*, limit: int = 5000) -> dict:
    """Compare the expected tree with the Disk and queue a repair for every folder that drifted."""
    disk = build_client()
    checked = drifted = 0
    folders = ClientFolder.objects.exclude(synced_path="").select_related("client").order_by("id")[:limit]
    for folder in folders:
        checked += 1
        target = expected_path(folder.client, folder)
        if target is None:
            continue
        if folder.synced_path != target or not disk.exists(target):
            drifted += 1
            with transaction.atomic():
                if not disk.exists(folder.synced_path):
                    # Gone from where we left it: make it afresh where it belongs.
                    ClientFolder.objects.filter(pk=folder.pk).update(synced_path="", questionnaire_uploaded=False)
                    ClientDocument.objects.filter(client=folder.client).update(on_disk_at=None)
                outbox.enqueue(CLIENT_KIND, key=folder.client_id, reason="сверка")
    # Clients with a deal but no folder at all.
    missing = (
        Client.objects.filter(deals__isnull=False, disk_folder__isnull=True)
        .distinct()
        .values_list("pk", flat=True)[:limit]
    )
    for client_id in missing:
        drifted += 1
        with transaction.atomic():
            outbox.enqueue(CLIENT_KIND, key=client_id, reason="сверка")
    return {"checked": checked, "drifted": drifted}


def folder_listing(folder: ClientFolder) -> list:
    """What is in the client's folder now (names, sizes, dates); read straight from the Disk."""
    disk = build_client()
    try:
        # listdir is lazy: the Disk is asked (and may say «not found») while iterating.
        items = list(disk.listdir(folder.synced_path))
    except ya.NotFoundError:
        raise DiskNotFound(folder.synced_path) from None
    return sorted(items, key=lambda item: (item.type != "dir", item.name))


def file_download(folder: ClientFolder, name: str):
    """The file from the client's folder, spooled to a temporary file beyond 5 MB (scans can be large)."""
    if "/" in name or name in ("", ".", ".."):
        raise DiskPermanentError("недопустимое имя файла")
    disk = build_client()
    out = tempfile.SpooledTemporaryFile(max_size=5 * 1024 * 1024)  # noqa: SIM115 - the response closes it
    try:
        disk.download(f"{folder.synced_path}/{name}", out)
    except ya.NotFoundError:
        # PathNotFoundError and its kin: the Disk answered «no such file».
        out.close()
        raise DiskNotFound(name) from None
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
