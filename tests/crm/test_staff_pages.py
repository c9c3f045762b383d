from django.urls import reverse

STAFF = reverse("crm:staff_list")


def names(response):
    return {p.username for p in response.context["page"]}


def test_manager_directory_is_branch_plus_management(web, everyone):
    web.force_login(everyone["manager.spb"])
    assert names(web.get(STAFF)) == {"rop.spb", "manager.spb", "director", "admin", "callcenter"}


def test_filters_and_search(web, everyone, msk):
    web.force_login(everyone["director"])
    assert names(web.get(STAFF, {"role": "manager", "branch": msk.pk})) == {"manager.msk", "manager2.msk"}
    assert names(web.get(STAFF, {"q": "ПЕТРОВА"})) == {"manager2.msk"}


def test_htmx_request_gets_only_the_rows(web, everyone):
    web.force_login(everyone["director"])
    response = web.get(STAFF, {"q": "Иванов"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-testid="staff-table"' in body


def test_other_branch_card_is_404(web, everyone):
    web.force_login(everyone["manager.msk"])
    response = web.get(reverse("crm:staff_detail", args=[everyone["manager.spb"].pk]))
    assert response.status_code == 404


def test_card_shows_subordinates(web, everyone):
    web.force_login(everyone["director"])
    response = web.get(reverse("crm:staff_detail", args=[everyone["rop.msk"].pk]))
    assert {u.username for u in response.context["subordinates"]} == {"manager.msk", "manager2.msk"}


def test_list_query_count_is_pinned(web, everyone, query_count):
    web.force_login(everyone["director"])
    web.get(STAFF)
    with query_count(6):  # session, user, menu counters, branches for the filter, count, page
        web.get(STAFF)
