import pytest

@pytest.mark.parametrize("d", ["9999-12-31", "0001-01-01"])
def test_probe(web, manager_msk, d):
    web.raise_request_exception = False
    web.force_login(manager_msk)
    for p in [{"date": d}, {"date": d, "view": "week"}]:
        r = web.get(f"/calendar/{manager_msk.pk}/", p)
        print(p, r.status_code)
    r = web.get(f"/calendar/{manager_msk.pk}.ics", {"date": d})
    print("ics", r.status_code)
