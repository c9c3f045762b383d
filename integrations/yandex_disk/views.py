"""The client's Disk folder seen from the CRM, and the admin's sync status page."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clients.models import Client
from clients.selectors import client_get_for_user
from crm import access, outbox
from crm.models import AuditEntry, OutboxJob, User
from crm.services import audit_record
from integrations.models import ClientFolder, DiskImportRun
from integrations.yandex_disk import services, tasks
from integrations.yandex_disk.client import TRANSPORT_ERRORS

WEB_UI = "https://disk.yandex.ru/client/disk"


def _folder(request, pk: int) -> ClientFolder:
    client = client_get_for_user(request.user, pk)  # the access rule: whoever may open the client
    folder = ClientFolder.objects.filter(client=client).exclude(synced_path="").first()
    if not settings.YANDEX_DISK_ENABLED or folder is None:
        raise Http404
    return folder


@login_required
def folder_view(request, pk: int):
    """The listing, loaded into the card after the page (a slow Disk never holds the card)."""
    folder = _folder(request, pk)
    try:
        items = services.folder_listing(folder)
        error = ""
    except services.DiskNotFound:
        items, error = [], "Папки клиента нет на Диске: её могли переместить вручную. Сверка с Диском её восстановит."
    except TRANSPORT_ERRORS as exc:
        items, error = [], f"Диск не ответил: {type(exc).__name__}. Попробуйте обновить позже."
    return render(
        request,
        "integrations/_folder.html",
        {"folder": folder, "items": items, "error": error, "web_url": WEB_UI + quote(folder.synced_path), "pk": pk},
    )


@login_required
def folder_file_view(request, pk: int):
    """Download through the CRM: access-checked and logged, never a public link."""
    folder = _folder(request, pk)
    name = request.GET.get("name", "")
    try:
        spooled = services.file_download(folder, name)
    except services.DiskPermanentError:
        raise Http404 from None
    except services.DiskNotFound:
        return HttpResponse(
            f"Файла «{name}» нет в папке клиента на Диске: его могли переместить или удалить.",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    except TRANSPORT_ERRORS:
        return HttpResponse("Диск не ответил, попробуйте позже.", status=503, content_type="text/plain; charset=utf-8")
    audit_record(
        actor=request.user,
        action=AuditEntry.Action.VIEW_PERSONAL_DATA,
        target=folder.client,
        changes={"disk_file": f"{folder.synced_path}/{name}"},
    )
    return FileResponse(spooled, as_attachment=True, filename=name)


def _require_admin(request):
    if not access.can_read_audit_log(request.user):
        raise PermissionDenied


def _with_subjects(jobs: list[OutboxJob]) -> list[OutboxJob]:
    """Name what each job is about (the client, the manager), two queries for the whole list."""
    client_ids = [int(j.key) for j in jobs if j.kind == services.CLIENT_KIND]
    manager_ids = [int(j.key) for j in jobs if j.kind == services.PAYMENTS_KIND]
    clients = Client.objects.in_bulk(client_ids) if client_ids else {}
    managers = User.objects.in_bulk(manager_ids) if manager_ids else {}
    for job in jobs:
        handler = outbox.handler_for(job.kind)
        job.label = handler.label if handler else job.kind
        if job.kind == services.CLIENT_KIND:
            job.subject = getattr(clients.get(int(job.key)), "display_name", f"клиент #{job.key}")
        elif job.kind == services.PAYMENTS_KIND:
            job.subject = getattr(managers.get(int(job.key)), "full_name", f"сотрудник #{job.key}")
        else:
            job.subject = f"#{job.key}"
    return jobs


@login_required
def sync_status_view(request):
    """The admin's view of the outbox: what waits, what failed for good (with «Повторить»)."""
    _require_admin(request)
    counts = OutboxJob.objects.aggregate(
        pending=Count("pk", filter=Q(status=OutboxJob.Status.PENDING)),
        failed=Count("pk", filter=Q(status=OutboxJob.Status.FAILED)),
        done=Count("pk", filter=Q(status=OutboxJob.Status.DONE)),
    )
    return render(
        request,
        "integrations/sync_status.html",
        {
            "enabled": settings.YANDEX_DISK_ENABLED,
            "api_url": settings.YANDEX_DISK_API_URL,
            "counts": counts,
            "failed": _with_subjects(
                list(OutboxJob.objects.filter(status=OutboxJob.Status.FAILED).order_by("-id")[:100])
            ),
            "retrying": _with_subjects(
                list(OutboxJob.objects.filter(status=OutboxJob.Status.PENDING, attempts__gt=0).order_by("-id")[:50])
            ),
            "runs": list(DiskImportRun.objects.select_related("started_by")[:5]),
            "folders": ClientFolder.objects.exclude(synced_path="").count(),
        },
    )


@login_required
@require_POST
def job_retry_view(request, job_id: int):
    _require_admin(request)
    job = OutboxJob.objects.filter(pk=job_id, status=OutboxJob.Status.FAILED).first()
    if job is None:
        raise Http404
    outbox.retry(job=job, by=request.user)
    messages.success(request, "Задание снова в очереди.")
    return redirect("integrations:disk_status")


@login_required
@require_POST
def reconcile_view(request):
    _require_admin(request)
    tasks.disk_reconcile_task.apply_async(queue=tasks.queue())
    messages.success(request, "Сверка с Диском запущена: расхождения будут исправлены в фоне.")
    return redirect("integrations:disk_status")


@login_required
@require_POST
def import_view(request):
    _require_admin(request)
    run = DiskImportRun.objects.create(started_by=request.user)
    tasks.disk_import_task.apply_async((run.pk,), queue=tasks.queue())
    messages.success(request, "Импорт с Диска запущен.")
    return redirect("integrations:disk_status")
