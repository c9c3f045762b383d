from django.core.management import call_command

from crm import demo
from crm.models import AuditEntry, Branch, User

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


def test_seed_is_idempotent(db):
    call_command("seed_demo")
    counts = (Branch.objects.count(), User.objects.count(), AuditEntry.objects.count())
    call_command("seed_demo")
    assert (Branch.objects.count(), User.objects.count(), AuditEntry.objects.count()) == counts == (2, 10, 12)


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
