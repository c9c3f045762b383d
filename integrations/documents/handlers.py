"""The documents' outbox handler: one job makes one document on a worker."""

from django.conf import settings

from crm import outbox
from integrations.documents import render, services
from integrations.models import LegalEntity


def _make(key: str, jobs) -> str:
    try:
        return services.document_make(int(key))
    except services.NotMade as exc:
        services.document_failed(int(key), str(exc))
        raise outbox.PermanentError(str(exc)) from exc
    except render.ConversionError as exc:
        # A crashed or slow converter: worth another try, until the outbox gives up.
        if services.near_last_attempt(jobs):
            services.document_failed(int(key), str(exc))
            raise outbox.PermanentError(str(exc)) from exc
        raise outbox.TransientError(str(exc)) from exc


def _stage_act(key: str, jobs) -> str:
    outcomes = [
        services.stage_act(deal_id=int(key), completed=job.payload.get("completed", ""), since=job.created_at)
        for job in jobs
    ]
    return ", ".join(outcomes)


def _acts_enabled() -> bool:
    # Asked at each completing move: without requisites there is nothing to sign an act with.
    return settings.DOCUMENTS_STAGE_ACTS and LegalEntity.objects.filter(is_active=True).exists()


def register() -> None:
    outbox.register(
        outbox.Handler(
            kind=services.KIND,
            label="Документ из шаблона",
            run=_make,
            queue=lambda: settings.DOCUMENTS_QUEUE,
            # Each job is one document: a success says nothing about another job of the key.
            converges=False,
        )
    )
    outbox.register(
        outbox.Handler(
            kind=services.STAGE_ACT_KIND,
            label="Акт за завершённый этап",
            run=_stage_act,
            events=("deal.stage_completed",),
            enabled=_acts_enabled,
            queue=lambda: settings.DOCUMENTS_QUEUE,
            converges=False,
        )
    )
