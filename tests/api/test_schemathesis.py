"""The API does what its OpenAPI schema says: schemathesis against the live server, over real HTTP.

Every operation of /api/schema/ is called with generated input (valid and
invalid, a bounded, seeded number of examples each), once with the director's
token and once with a manager's. A run fails on any 5xx and on any answer the
schema does not describe: an undeclared status code, another content type, a
body or header of another shape.

The ids the CRM holds are small and known (sequences reset per test), and
generated ids, foreign keys in bodies and id filters are steered to them for
half the examples, so the answers include real objects and successful writes,
not only 404s and 400s.

The module prints «schemathesis made N requests, X 5xx, Y mismatches» at the end.
"""

import json
from collections import Counter
from datetime import datetime, time, timedelta

import pytest
import requests
import schemathesis
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from activities import services as activity_services
from crm import services as crm_services
from crm.workdays import add_working_days
from deals.services import deal_move_to_stage, payment_record
from leads.services import lead_create
from tasks import services as task_services
from tests.factories import contract_data, make_deal

import os as _os
EXAMPLES_PER_OPERATION = int(_os.environ.get("ST_EXAMPLES", 15))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
STATS = Counter()


def _served_schema() -> dict:
    # What /api/schema/?format=json serves, built the same way, without a request.
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.openapi.from_dict(
    _served_schema(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
                "database": "none",
                "with-security-parameters": False,
            },
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)

# Ids of the objects `crm_data` made, by kind; read while examples are generated.
KNOWN: dict[str, list[int]] = {}
PATH_KINDS = {
    "/api/v1/users/": "staff",
    "/api/v1/leads/": "lead",
    "/api/v1/clients/": "client",
    "/api/v1/deals/": "deal",
    "/api/v1/meetings/": "meeting",
    "/api/v1/tasks/": "task",
}
FIELD_KINDS = {
    "client": "client",
    "deal": "deal",
    "lead": "lead",
    "branch": "branch",
    "manager": "manager",
    "responsible": "staff",
    "to": "staff",
    "assigned_to": "manager",
    "user": "staff",
}


def _known(kind: str, value):
    """An even generated int becomes a real id of `kind`; anything else is left to probe the edges."""
    ids = KNOWN.get(kind)
    if not ids or isinstance(value, bool) or not isinstance(value, int) or value % 2:
        return value
    return ids[(value // 2) % len(ids)]


def _steer(data: dict) -> dict:
    return {key: _known(FIELD_KINDS[key], value) if key in FIELD_KINDS else value for key, value in data.items()}


@schema.hook
def map_path_parameters(context, path_parameters):
    kind = next((k for prefix, k in PATH_KINDS.items() if context.operation.path.startswith(prefix)), None)
    if kind and isinstance(path_parameters, dict) and "id" in path_parameters:
        return {**path_parameters, "id": _known(kind, path_parameters["id"])}
    return path_parameters


@schema.hook
def map_query(context, query):
    return _steer(query) if isinstance(query, dict) else query


@schema.hook
def map_body(context, body):
    return _steer(body) if isinstance(body, dict) else body


@pytest.fixture
def crm_data(everyone, msk, spb):
    """Two branches, the whole cast, and one of everything the API lists, owned by the Moscow manager."""
    manager = everyone["manager.msk"]
    deal = make_deal(manager=manager, last_name="Сделкин", phones=["+79160000001"])
    contracted = make_deal(manager=manager, last_name="Договоров", phones=["+79160000002"])
    deal_move_to_stage(deal=contracted, stage="db_prep_court", by=manager, data=contract_data())
    payment_record(deal=contracted, by=manager, paid_on=timezone.localdate(), amount=10000, method="cash")
    du_deal = make_deal(manager=manager, service_line="du", last_name="Услугин", phones=["+79160000003"])
    other = make_deal(manager=everyone["manager.spb"], last_name="Питерский", phones=["+79210000001"])
    lead, _ = lead_create(by=everyone["callcenter"], source="site", phone="+79160000009", name="Мария")
    day = add_working_days(timezone.localdate(), 2)
    start = timezone.make_aware(datetime.combine(day, time(11, 0)))
    meeting = activity_services.meeting_book(
        by=everyone["callcenter"],
        manager=manager,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        client=deal.client,
    )
    activity_services.activity_plan(by=manager, kind="call", planned_at=start - timedelta(days=1), client=deal.client)
    task = task_services.task_create(author=everyone["rop.msk"], responsible=manager, title="Позвонить клиенту")
    pr = task_services.pr_create(
        author=manager, topic="Скидка", pr_kind="discount", essence="Просит", facts="Долги", proposal="10%", deal=deal
    )
    staff = [p.pk for p in everyone.values()]
    KNOWN.clear()
    KNOWN.update(
        staff=staff,
        manager=[manager.pk, everyone["manager2.msk"].pk, everyone["manager.spb"].pk, everyone["rop.msk"].pk],
        branch=[msk.pk, spb.pk],
        client=[deal.client_id, contracted.client_id, du_deal.client_id, other.client_id],
        deal=[deal.pk, contracted.pk, du_deal.pk, other.pk],
        lead=[lead.pk],
        meeting=[meeting.pk],
        task=[task.pk, pr.pk],
    )
    yield everyone
    KNOWN.clear()


@pytest.fixture(scope="module", autouse=True)
def report_request_count(request):
    yield
    line = f"schemathesis made {STATS['requests']} requests, {STATS['5xx']} 5xx, {STATS['mismatches']} mismatches"
    # Past pytest's output capture, so that it shows on a passing run too.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")


@pytest.fixture
def token(crm_data, username) -> str:
    return crm_services.api_token_issue(user=crm_data[username], ip=None).key


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@pytest.mark.parametrize("username", ["director", "manager.msk"])
@schema.parametrize()
# The data and the live server stay up across an operation's examples, as they would for a real client.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_answers_as_its_schema_says(case, username, token, live_server):
    STATS["requests"] += 1
    response = _send(case, base_url=live_server.url, headers={"Authorization": f"Token {token}"})
    if response.status_code >= 500:
        STATS["5xx"] += 1
    if _os.environ.get("ST_SEEN"):
        with open(_os.environ["ST_SEEN"], "a") as fh:
            fh.write(f"{case.operation.label}\t{username}\t{response.status_code}\n")
    try:
        case.validate_response(response, checks=CHECKS)
    except (Failure, FailureGroup) as exc:
        STATS["mismatches"] += 1
        import os

        if os.environ.get("ST_COLLECT"):
            fs = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
            with open(os.environ["ST_COLLECT"], "a") as fh:
                for f in fs:
                    fh.write(
                        json.dumps(
                            {
                                "op": case.operation.label,
                                "user": username,
                                "status": response.status_code,
                                "kind": type(f).__name__,
                                "title": f.title,
                                "msg": f.message[:600],
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
            return
        raise


def _send(case, *, base_url: str, headers: dict) -> requests.Response:
    # schemathesis builds the request and requests sends it: `case.call()` counts open connections
    # through urllib3 internals that urllib3-future (installed with caldav, through niquests) does not have.
    with requests.Session() as session:
        return session.request(**case.as_transport_kwargs(base_url=base_url, headers=headers), allow_redirects=False)
