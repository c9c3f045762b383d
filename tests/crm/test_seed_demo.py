from django.core.management import call_command

from crm import demo
from crm.models import AuditEntry, Branch, User
from crm.pipelines import Stage
from deals.models import Deal
from integrations.models import MangoCall, MangoCommand, MangoRecording
from leads.models import Lead

DEMO_LOGINS = [
    "director",
    "admin",
    "rop.msk",
    "rop.spb",
    "manager.msk",
    "manager2.msk",
    "manager.spb",
    "lawyer.msk",
    "callcenter",
    "office",
]


def _counts():
    return (
        Branch.objects.count(),
        User.objects.count(),
        Deal.objects.count(),
        Lead.objects.count(),
        AuditEntry.objects.count(),
        MangoCall.objects.count(),
        MangoRecording.objects.count(),
        MangoCommand.objects.count(),
    )


def test_seed_is_idempotent(db):
    call_command("seed_demo")
    counts = _counts()
    call_command("seed_demo")
    assert _counts() == counts
    assert counts[:4] == (2, 10, 13, 7)  # 4 leads of the pipeline, 3 from unknown callers (telephony)
    assert counts[-2:] == (3, 1) and counts[-3] > 0


def test_demo_has_every_stage_of_both_pipelines(db):
    call_command("seed_demo")
    assert set(Deal.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert set(Lead.objects.values_list("status", flat=True)) == {"new", "in_work", "non_target"}
    assert Lead.objects.filter(routed_to_office=True).count() == 1


def test_every_demo_login_works(web, db):
    call_command("seed_demo")
    for username in DEMO_LOGINS:
        response = web.post("/login/", {"username": username, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, username
        web.post("/logout/")


def test_demo_org_chart(db):
    call_command("seed_demo")
    users = {u.username: u for u in User.objects.select_related("branch", "supervisor")}
    assert users["manager.msk"].supervisor.username == "rop.msk"
    assert users["rop.spb"].supervisor.username == "director"
    assert users["manager.spb"].branch.name == "Санкт-Петербург"
    assert users["admin"].is_staff and not users["director"].is_staff


def test_demo_has_tasks_of_every_form_in_every_state(db):
    from deals.models import StageAutomation
    from tasks.models import Task

    call_command("seed_demo")
    forms_states = set(Task.objects.values_list("form", "status"))
    assert {s for f, s in forms_states if f == "pr"} == {"new", "awaiting", "done", "rejected"}
    assert {s for f, s in forms_states if f == "rz"} == {
        "new",
        "in_progress",
        "awaiting",
        "done",
        "deferred",
        "rejected",
    }
    assert {s for f, s in forms_states if f == "report"} == {"new", "done"}
    assert ("task", "new") in forms_states
    # Entering «Подготовка к АС» made the configured tasks for the demo deals that passed it.
    prep = Deal.objects.filter(stage__in=["db_prep_court", "db_in_court", "db_archive", "db_terminated"])
    assert Task.objects.filter(deal__in=prep, title="Выставить счёт", author=None).count() == prep.count()
    assert StageAutomation.objects.count() == 4
    assert Task.objects.filter(feedback_flagged_at__isnull=False).exists()
    assert Task.objects.filter(participants__role="observer").exists()
    counts = Task.objects.count()
    call_command("seed_demo")
    assert Task.objects.count() == counts


def test_demo_shows_each_state_of_activities_and_clients(db):
    from activities.models import Activity
    from activities.selectors import my_day, rule_summary
    from clients.models import Client

    call_command("seed_demo")
    ivanov = User.objects.get(username="manager.msk")
    day = my_day(ivanov)
    assert day.inbound and day.overdue and day.today and day.coming
    assert set(Client.objects.values_list("status", flat=True)) == {"active", "abandoned", "pool", "lost"}
    assert set(Activity.objects.values_list("kind", flat=True)) >= {"call", "meeting", "remote", "busy", "email"}
    assert rule_summary(ivanov)["deals_count"] > 0  # some deals break the rule, as in real life
    count = Activity.objects.count()
    call_command("seed_demo")
    assert Activity.objects.count() == count
