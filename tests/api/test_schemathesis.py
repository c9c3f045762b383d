"""The API answers as its OpenAPI schema says: schemathesis against the live server, over real HTTP.

Every operation of /api/schema/ gets generated input, valid and invalid, a
bounded and seeded number of examples each (the same requests on every run),
once with the director's token and once with a Moscow manager's. A run fails
on any 5xx and on any answer the schema does not describe: an undeclared
status code, another content type, a body or a header of another shape.

The objects `crm_data` makes have small, known ids (sequences are reset for
each test); even generated ids, in paths, id filters and a body's foreign
keys, are steered to them, so the answers include real objects and successful
writes, not only 404s and 400s. Odd ones stay as generated, to probe the edges.

Checks left out, on purpose:
- negative_data_rejection: DRF reads input leniently by design (a number for
  a string field, an empty query parameter as an absent one, a bad page_size
  as the default), so schema-invalid input is sometimes, rightly, a 200;
- positive_data_acceptance: schema-valid input is refused by the CRM's own
  rules (phone format, a deal's stage order, access: 404), which the schema
  cannot express;
- ignored_auth and the stateful checks (use_after_free,
  ensure_resource_availability): the token is sent as a plain header that
  schemathesis cannot strip, and the schema has no links between operations.

The token endpoint takes no token, so it runs under both users alike. The
wrong passwords schemathesis sends lock the logins it makes up and then the
test's address (429 with Retry-After, declared and checked). The tokens here
come from `api_token_issue`, not from that endpoint, and the lock lives in
rows the test's flush removes, so nothing else is locked out.

The module prints «schemathesis made N requests, X 5xx, Y mismatches» at the end.
"""

import json
from collections import Counter
from datetime import datetime, time, timedelta

import hypothesis
import pytest
import requests
import schemathesis
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
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
from tests.conftest import token_client
from tests.factories import contract_data, make_deal

EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
STATS = Counter()


def _served_schema() -> dict:
    # What /api/schema/?format=json serves (test_the_schema_under_test_is_the_served_one),
    # built without a request: the operations must be known when pytest collects them.
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


RAW_SCHEMA = _served_schema()
schema = schemathesis.openapi.from_dict(
    RAW_SCHEMA,
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

# Ids of what `crm_data` made, by kind; the hooks below read them while examples are generated.
KNOWN: dict[str, list] = {}
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
# The day of the activity and meeting examples in the schema (activities/api.py).
EXAMPLE_DAY = "2026-12-15"


def _known(kind: str, value):
    """An even generated id becomes a real one of `kind`; anything else stays, to probe the edges."""
    ids = KNOWN.get(kind)
    if not ids or isinstance(value, bool) or not isinstance(value, int) or value % 2 or value in ids:
        return value
    return ids[(value // 2) % len(ids)]


def _steer(data: dict) -> dict:
    return {key: _steer_value(key, value) for key, value in data.items()}


def _steer_value(key: str, value):
    if key in FIELD_KINDS:
        return _known(FIELD_KINDS[key], value)
    if isinstance(value, str) and value.startswith(f"{EXAMPLE_DAY}T") and KNOWN.get("day"):
        # The documented booking's day, moved to one it can be booked on: ahead, a working day.
        return KNOWN["day"][0] + value[len(EXAMPLE_DAY) :]
    return value


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
def crm_data(everyone, msk, spb, settings):
    """Two branches, the whole cast, and one of everything the API lists, mostly the Moscow manager's."""
    # Telephony and mail switched on, so their endpoints answer for real; no outside server is ever
    # reached: no worker sends Mango's commands, and no mail server is allowed (a check fails first).
    settings.MANGO_ENABLED, settings.MANGO_API_KEY, settings.MANGO_API_SALT = True, "fuzz-key", "fuzz-salt"
    settings.MAIL_ENABLED, settings.MAIL_SECRET_KEY = True, "ZnV6ei10ZXN0cy1vbmx5LWtleS1ub3Qtc2VjcmV0ISE="
    settings.MAIL_ALLOWED_HOSTS, settings.MAIL_ALLOW_LOOPBACK = [], False
    manager = everyone["manager.msk"]
    crm_services.user_update(user=manager, by=None, data={"mango_extension": "101"})
    deal = make_deal(manager=manager, last_name="Сделкин", phones=["+79160000001"])
    contracted = make_deal(manager=manager, last_name="Договоров", phones=["+79160000002"])
    deal_move_to_stage(deal=contracted, stage="db_prep_court", by=manager, data=contract_data())
    payment_record(deal=contracted, by=manager, paid_on=timezone.localdate(), amount=10000, method="cash")
    du_deal = make_deal(manager=manager, service_line="du", last_name="Услугин", phones=["+79160000003"])
    other = make_deal(manager=everyone["manager.spb"], last_name="Питерский", phones=["+79210000001"])
    lead, _ = lead_create(by=everyone["callcenter"], source="site", phone="+79160000009", name="Мария")
    start = timezone.make_aware(datetime.combine(add_working_days(timezone.localdate(), 2), time(11, 0)))
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
    KNOWN.update(
        staff=[person.pk for person in everyone.values()],
        manager=[manager.pk, everyone["manager2.msk"].pk, everyone["manager.spb"].pk, everyone["rop.msk"].pk],
        branch=[msk.pk, spb.pk],
        client=[deal.client_id, contracted.client_id, du_deal.client_id, other.client_id],
        deal=[deal.pk, contracted.pk, du_deal.pk, other.pk],
        lead=[lead.pk],
        meeting=[meeting.pk],
        task=[task.pk, pr.pk],
        day=[add_working_days(timezone.localdate(), 3).isoformat()],
    )
    yield everyone
    KNOWN.clear()


@pytest.fixture
def token(crm_data, username) -> str:
    return crm_services.api_token_issue(user=crm_data[username], ip=None).key


@pytest.fixture(scope="session")
def request_count(request):
    """Prints the tally once, when the run ends."""
    yield STATS
    line = f"schemathesis made {STATS['requests']} requests, {STATS['5xx']} 5xx, {STATS['mismatches']} mismatches"
    # Past pytest's output capture, so that it shows on a passing run too.
    with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print(f"\n{line}")


def test_the_schema_under_test_is_the_served_one(director):
    response = token_client(director).get(reverse("api-schema"), {"format": "json"})
    assert response.json() == RAW_SCHEMA


def test_the_dashboards_are_fuzzed_with_every_filter():
    # The heads' analytics: each dashboard its own operation, so each gets its examples below,
    # with every filter the pages take and the refusals it answers.
    filters = {"date_from", "date_to", "branch", "manager", "source", "pipeline", "stuck_days"}
    paths = [result.ok().path for result in schema.get_all_operations()]
    fuzzed = sorted(path for path in paths if path.startswith("/api/v1/analytics/"))
    assert fuzzed == [f"/api/v1/analytics/{slug}/" for slug in ("efficiency", "funnel", "payments")]
    for path in fuzzed:
        operation = RAW_SCHEMA["paths"][path]["get"]
        assert {p["name"] for p in operation["parameters"]} == filters
        assert {"200", "400", "403"} <= set(operation["responses"])


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@pytest.mark.parametrize("username", ["director", "manager.msk"])
@schema.parametrize()
# The data and the live server stay up across an operation's examples, as they would for a real client.
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_api_answers_as_its_schema_says(case, username, token, live_server, request_count):
    STATS["requests"] += 1
    response = _send(case, base_url=live_server.url, headers={"Authorization": f"Token {token}"})
    if response.status_code >= 500:
        STATS["5xx"] += 1
    try:
        case.validate_response(response, checks=CHECKS)
    except (Failure, FailureGroup):
        STATS["mismatches"] += 1
        raise


def _send(case, *, base_url: str, headers: dict) -> requests.Response:
    # schemathesis builds the request and requests sends it: `case.call()` counts open connections
    # through urllib3 internals that urllib3-future (installed with caldav, through niquests) lacks.
    with requests.Session() as session:
        return session.request(**case.as_transport_kwargs(base_url=base_url, headers=headers), allow_redirects=False)
