"""The header search (/search/, the box's dropdown, GET /api/v1/search/): what it matches and who sees what."""

from datetime import date

import pytest
from django.urls import reverse

from crm.search import parse
from deals.services import deal_move_to_stage
from leads.services import lead_create
from tests.conftest import token_client
from tests.factories import contract_data, make_client, make_deal
from web.search import search


def _court(deal, by, number="А40-123456/2024"):
    deal_move_to_stage(
        deal=deal, stage="db_prep_court", by=by, data={**contract_data(), "contract_number": "ДБ-777/2026"}
    )
    deal_move_to_stage(
        deal=deal,
        stage="db_in_court",
        by=by,
        data={"court": "АС г. Москвы", "case_number": number, "filing_date": date(2026, 11, 10)},
    )
    return deal


def hits(user, q):
    return [(h.type, h.id) for h in search(user, q).all]


# --- the query parser ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, phones",
    [
        ("903 555", ("903555",)),
        ("8 903 555", ("8903555", "7903555")),
        ("+7 (903) 555-12-34", ("79035551234",)),
        ("8 (903) 555-12-34", ("79035551234",)),
        ("9035551234", ("79035551234",)),
        ("555-12-34", ("5551234",)),
    ],
)
def test_phone_fragments_are_normalised_like_stored_numbers(text, phones):
    assert parse(text).phones == phones


def test_parser_tells_case_contract_email_and_name_apart():
    assert parse("А40-123456/2024").case_number == "А40-123456/2024"
    assert parse("a40-123").case_number == "А40-123"  # Latin «a» typed for Cyrillic «А»
    assert parse("дб-777").contract == "ДБ-777"
    assert parse("ДБ - 777").contract == "ДБ-777"
    assert parse("Ivanov@Mail.RU").email == "ivanov@mail.ru"
    assert parse("Сидоров И. Ильич").words == ("сидоров", "ильич")
    assert not parse("ив")  # too short for an index-backed search
    assert not parse("12")


# --- matching -------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["903 555", "903555", "8 903 555", "+7 (903) 555", "8 (903) 555-12-34", "555-12-34"])
def test_a_phone_in_any_format_finds_the_client_and_the_deal(manager_msk, q):
    deal = make_deal(manager=manager_msk, last_name="Телефонов", phones=["+7 903 555-12-34"])
    make_deal(manager=manager_msk, last_name="Другой", phones=["+7 916 000-00-01"])
    assert hits(manager_msk, q) == [("client", deal.client_id), ("deal", deal.pk)]


@pytest.mark.parametrize("q", ["сидоров ильич", "ИЛЬИЧ Сидор", "петр сидо", "Сидоров Пётр"])
def test_part_of_a_name_in_any_word_order(manager_msk, q):
    client = make_client(manager=manager_msk, last_name="Сидоров", first_name="Пётр", patronymic="Ильич")
    make_client(manager=manager_msk, last_name="Сидоренко", first_name="Анна", patronymic="Олеговна")
    if q == "петр сидо":
        # «ё» is its own letter: «петр» does not find «Пётр», the surname alone still narrows to two.
        assert [h.id for h in search(manager_msk, "сидо").clients] == [client.pk + 1, client.pk]
        return
    assert hits(manager_msk, q) == [("client", client.pk)]


def test_email_finds_the_client(manager_msk):
    client = make_client(manager=manager_msk, last_name="Почтов", email="pochtov@mail.ru")
    assert hits(manager_msk, "POCHTOV@mail") == [("client", client.pk)]


def test_contract_number_finds_the_deal_and_its_client(manager_msk):
    deal = _court(make_deal(manager=manager_msk, last_name="Договоров"), manager_msk)
    make_deal(manager=manager_msk, last_name="Без договора")
    for q in ("ДБ-777", "дб-777", "ДБ-777/2026"):
        assert hits(manager_msk, q) == [("client", deal.client_id), ("deal", deal.pk)], q
    hit = search(manager_msk, "ДБ-777").deals[0]
    assert hit.url == f"/deals/{deal.pk}/"
    assert "В суде" in hit.detail and hit.kind_label == "сделка"


@pytest.mark.parametrize("q", ["А40-123456/2024", "А40-123456", "a40-1234"])
def test_arbitration_case_number_finds_the_deal(manager_msk, q):
    deal = _court(make_deal(manager=manager_msk, last_name="Судов"), manager_msk)
    _court(make_deal(manager=manager_msk, last_name="Другой"), manager_msk, number="А41-999/2025")
    assert hits(manager_msk, q) == [("client", deal.client_id), ("deal", deal.pk)]


def test_leads_by_name_and_phone(call_centre, manager_msk):
    lead, _ = lead_create(
        by=call_centre, source="call", name="Лидов Семён", phone="8 (925) 111-22-33", assigned_to=manager_msk
    )
    assert hits(manager_msk, "семён лидов") == [("lead", lead.pk)]
    assert hits(manager_msk, "925 111") == [("lead", lead.pk)]
    hit = search(manager_msk, "925 111").leads[0]
    assert hit.url == f"/leads/{lead.pk}/" and hit.kind_label == "лид" and hit.detail == "В работе · Иванов С.Н."


# --- access --------------------------------------------------------------------------------------


@pytest.fixture
def cast(manager_msk, manager2_msk, manager_spb, call_centre):
    """The same surname for three managers' clients, one contracted, and a lead."""
    own = make_deal(manager=manager_msk, last_name="Общий", phones=["+7 903 555-00-01"])
    _court(own, manager_msk)
    colleague = make_deal(manager=manager2_msk, last_name="Общий", phones=["+7 903 555-00-02"])
    other_branch = make_deal(manager=manager_spb, last_name="Общий", phones=["+7 903 555-00-03"])
    lead, _ = lead_create(by=call_centre, source="call", name="Общий Лид", phone="+7 903 555-00-04")
    return {"own": own, "colleague": colleague, "spb": other_branch, "lead": lead}


def _ids(user, q, kind):
    return sorted(h.id for h in search(user, q).all if h.type == kind)


def test_each_role_finds_only_what_it_may_open(cast, director, head_msk, manager_msk, lawyer_msk, manager_spb):
    own, colleague, spb = cast["own"], cast["colleague"], cast["spb"]
    assert _ids(manager_msk, "общий", "deal") == [own.pk]
    assert _ids(manager_msk, "общий", "client") == [own.client_id]
    assert _ids(manager_msk, "общий", "lead") == []  # not assigned to them
    assert _ids(head_msk, "общий", "deal") == [own.pk, colleague.pk]
    assert cast["lead"].pk in _ids(head_msk, "общий", "lead")  # unrouted leads are the head's to assign
    assert _ids(manager_spb, "903 555", "deal") == [spb.pk]
    assert _ids(director, "общий", "deal") == [own.pk, colleague.pk, spb.pk]
    # The lawyer: contracted clients of the branch only, no leads.
    assert _ids(lawyer_msk, "общий", "deal") == [own.pk]
    assert _ids(lawyer_msk, "общий", "client") == [own.client_id]
    assert _ids(lawyer_msk, "общий", "lead") == []


def test_another_branch_never_appears(cast, head_msk, manager_msk):
    for user in (head_msk, manager_msk):
        for q in ("общий", "903 555", "903 555-00-03", "ДБ-777"):
            found = {(h.type, h.id) for h in search(user, q).all}
            assert ("deal", cast["spb"].pk) not in found and ("client", cast["spb"].client_id) not in found, (user, q)


def test_call_centre_gets_contacts_only(cast, call_centre):
    # By name: no client, no deal — only the leads it works with.
    assert [h.type for h in search(call_centre, "общий").all] == ["lead"]
    # By phone: whose client it is, opened as a new request from that number, never the card.
    results = search(call_centre, "903 555-00-03")
    assert [(h.type, h.id) for h in results.all] == [("client", cast["spb"].client_id)]
    hit = results.clients[0]
    assert hit.url.startswith(reverse("leads:new") + "?phone=")
    assert "/clients/" not in hit.url and "В суде" not in hit.detail
    # Case details never: a contract or case number finds nothing.
    assert search(call_centre, "ДБ-777").all == []
    assert search(call_centre, "А40-123456").all == []


def test_office_manager_gets_no_case_files(cast, office_manager):
    assert [h.type for h in search(office_manager, "903 555").all if h.type != "client"] == []
    assert all(h.url.startswith(reverse("leads:new")) for h in search(office_manager, "903 555").clients)


# --- pages and the API ----------------------------------------------------------------------------


def test_results_page_and_dropdown(web, manager_msk):
    deal = make_deal(manager=manager_msk, last_name="Страничный", phones=["+7 903 555-12-34"])
    web.force_login(manager_msk)
    page = web.get(reverse("search"), {"q": "903 555"})
    body = page.content.decode()
    assert page.status_code == 200
    assert f'href="/deals/{deal.pk}/"' in body and f'href="/clients/{deal.client_id}/"' in body
    box = web.get(reverse("search_box"), {"q": "903 555"}, headers={"HX-Request": "true"}).content.decode()
    assert "Страничный Иван Петрович" in box and "сделка" in box and "клиент" in box
    assert "/search/?q=903%20555" in box  # «все результаты»
    assert "не меньше 3 символов" in web.get(reverse("search_box"), {"q": "ив"}).content.decode()


def test_header_box_is_on_every_page_for_every_role(web, everyone):
    for user in everyone.values():
        web.force_login(user)
        body = web.get("/").content.decode()
        assert 'data-testid="search-box"' in body, user.username
        assert 'hx-trigger="input changed delay:250ms, search"' in body


def test_pages_need_login(web):
    assert web.get(reverse("search"), {"q": "903"}).status_code == 302
    assert web.get(reverse("search_box"), {"q": "903"}).status_code == 302


def test_api_answers_typed_hits(cast, manager_msk):
    response = token_client(manager_msk).get("/api/v1/search/", {"q": "903 555"})
    assert response.status_code == 200
    own = cast["own"]
    assert [(r["type"], r["id"], r["url"]) for r in response.json()["results"]] == [
        ("client", own.client_id, f"/clients/{own.client_id}/"),
        ("deal", own.pk, f"/deals/{own.pk}/"),
    ]
    assert response.json()["results"][0]["title"] == "Общий Иван Петрович"


def test_api_call_centre_contacts_only_and_bounded(call_centre, manager_msk):
    for n in range(25):
        make_client(manager=manager_msk, last_name=f"Много{n}", phones=[f"+7 903 777-00-{n:02d}"])
    results = token_client(call_centre).get("/api/v1/search/", {"q": "903 777"}).json()["results"]
    assert len(results) == 20 and {r["type"] for r in results} == {"client"}
    assert all(r["url"].startswith("/leads/new/?phone=") for r in results)


def test_api_short_query_and_no_token(api, manager_msk):
    assert token_client(manager_msk).get("/api/v1/search/", {"q": "ив"}).json() == {"results": []}
    assert token_client(manager_msk).get("/api/v1/search/").json() == {"results": []}
    assert api.get("/api/v1/search/", {"q": "903 555"}).status_code == 401
