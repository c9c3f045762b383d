import pytest

from tasks.models import Task
from tests.conftest import token_client
from tests.factories import make_deal

DATES = ["9999-12-31", "0001-01-01"]

@pytest.mark.parametrize("d", DATES)
def test_probe(web, director, manager_msk, manager2_msk, d):
    make_deal(manager=manager_msk)
    web.force_login(manager_msk)
    web.raise_request_exception = False
    api = token_client(manager_msk)
    r = api.post("/api/v1/tasks/", {"title": "x", "responsible": manager2_msk.pk, "deadline": d, "deadline_reason": "долго"}, format="json")
    print("api task", r.status_code, r.content[:300].decode())
    t = Task.objects.first()
    if t:
        for u in ["/tasks/", f"/tasks/{t.pk}/", "/", "/tasks/efficiency/"]:
            print(u, web.get(u).status_code)
        web.force_login(manager2_msk)
        for u in ["/tasks/", f"/tasks/{t.pk}/", "/", "/tasks/efficiency/"]:
            print(u, web.get(u).status_code)
        r = web.post(f"/tasks/{t.pk}/deadline/", {"deadline": d, "reason": "долго"})
        print("deadline", r.status_code)
