"""A broker that is down never turns a committed write into an error, and the work is delivered once it is back.

The write goes through the API as a user's would; the hint after the commit
finds no broker (a port nobody listens on) and is only logged. The outbox row
waits; when the broker is back, the beat's redrive hands it to a real worker,
which brings the Disk stand-in in line.
"""

import contextlib
import time

import pytest
from django.urls import reverse

from crm import outbox
from crm.celery import app as celery_app
from crm.models import OutboxJob
from integrations.yandex_disk import services
from tests.conftest import token_client
from tests.factories import contract_data, make_deal
from tests.integration.test_disk_worker import IVANOV, mirror, standin, tree  # noqa: F401 - fixtures

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NOBODY_LISTENS = "redis://127.0.0.1:9/0"


@contextlib.contextmanager
def broker_down():
    """Point this process's Celery producer at a closed port, then back."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options, conf.broker_connection_timeout
    conf.broker_url, conf.broker_transport_options, conf.broker_connection_timeout = NOBODY_LISTENS, {}, 1
    celery_app.amqp._producer_pool = None
    celery_app._pool = None
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options, conf.broker_connection_timeout = saved
        celery_app.amqp._producer_pool = None
        celery_app._pool = None


def test_a_write_with_the_broker_down_answers_2xx_and_is_delivered_when_it_is_back(
    mirror,  # noqa: F811
    standin,  # noqa: F811
    manager_msk,
    caplog,
):
    deal = make_deal(manager=manager_msk, last_name="Беспочтовый", first_name="Иван", patronymic="Иванович")
    OutboxJob.objects.all().delete()  # the deal's own job: no worker has run yet, and none is needed here
    api = token_client(manager_msk)
    with broker_down():
        response = api.post(
            reverse("api-deal-move", args=[deal.pk]), {"stage": "db_prep_court", **contract_data()}, format="json"
        )
    assert response.status_code == 200, response.content
    job = OutboxJob.objects.get()
    assert (job.kind, job.key, job.status, job.reason) == (
        "disk.client",
        str(deal.client_id),
        "pending",
        "смена стадии",
    )
    assert "the redrive will deliver it" in caplog.text

    worker = mirror()
    assert outbox.redrive() == 1  # what the beat does every minute
    folder = f"{IVANOV}/ДБ/Подготовка к АС/Беспочтовый И.И."
    deadline = time.monotonic() + 60
    while OutboxJob.objects.filter(status="pending").exists() or folder not in tree(standin):
        assert time.monotonic() < deadline, worker.output[-4000:]
        time.sleep(0.2)
    assert OutboxJob.objects.get().status == "done"
    assert services.expected_path(deal.client, deal.client.disk_folder) == folder
