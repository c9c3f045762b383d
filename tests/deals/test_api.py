from django.urls import reverse

from deals.models import Deal, Payment
from deals.services import deal_move_to_stage
from leads.models import Lead
from tests.conftest import token_client
from tests.factories import contract_data, make_client, make_deal


def test_lead_post_with_idempotency_key_creates_one(manager_msk, call_centre):
    api = token_client(call_centre)
    body = {"source": "site", "phone": "+7 916 111-22-33", "name": "Мария", "message": "Банкротство"}
    first = api.post(reverse("api-leads"), body, format="json", HTTP_IDEMPOTENCY_KEY="site-42")
    second = api.post(reverse("api-leads"), body, format="json", HTTP_IDEMPOTENCY_KEY="site-42")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Lead.objects.count() == 1


def test_lead_post_bad_input_is_400_in_russian_and_stores_nothing(call_centre):
    api = token_client(call_centre)
    response = api.post(reverse("api-leads"), {"source": "pigeon", "phone": "12"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"source"}
    response = api.post(reverse("api-leads"), {"source": "site", "phone": "12"}, format="json")
    assert response.json() == {"phone": ["«12» не похоже на номер телефона."]}
    assert Lead.objects.count() == 0


def test_deal_move_over_api(manager_msk):
    deal = make_deal(manager=manager_msk)
    api = token_client(manager_msk)
    url = reverse("api-deal-move", args=[deal.pk])
    refused = api.post(url, {"stage": "db_prep_court", "contract_number": "5"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "contract_date": ["Для стадии «Подготовка к АС» укажите: дату договора, стоимость услуг."]
    }
    assert Deal.objects.get(pk=deal.pk).stage == "db_in_work"
    skipped = api.post(url, {"stage": "db_archive"}, format="json")
    assert skipped.status_code == 400
    assert "stage" in skipped.json()
    ok = api.post(
        url,
        {"stage": "db_prep_court", "contract_number": "5", "contract_date": "2026-11-01", "fee": "50000.00"},
        format="json",
    )
    assert ok.status_code == 200
    assert ok.json()["stage"] == "db_prep_court"


def test_other_branch_cannot_see_or_move_over_api(manager_msk, manager_spb):
    deal = make_deal(manager=manager_msk)
    api = token_client(manager_spb)
    assert api.get(reverse("api-deal-detail", args=[deal.pk])).status_code == 404
    assert (
        api.post(reverse("api-deal-move", args=[deal.pk]), {"stage": "db_prep_court"}, format="json").status_code == 404
    )
    assert api.get(reverse("api-deals")).json()["results"] == []
    assert Deal.objects.get(pk=deal.pk).stage == "db_in_work"


def test_deal_list_filters(director, manager_msk, manager_spb):
    a = make_deal(manager=manager_msk, last_name="Белов", phones=["+79160000001"])
    make_deal(manager=manager_spb, last_name="Чернов", phones=["+79160000002"], service_line="du")
    api = token_client(director)
    rows = api.get(reverse("api-deals"), {"service_line": "db"}).json()["results"]
    assert [r["id"] for r in rows] == [a.pk]
    assert api.get(reverse("api-deals"), {"stage": "nonsense"}).status_code == 400


def test_client_api_masks_personal_data(manager_msk):
    client = make_client(manager=manager_msk, passport="4510 123456")
    data = token_client(manager_msk).get(reverse("api-client-detail", args=[client.pk])).json()
    assert data["passport"] == "•••• ••••56"
    assert data["phones"] == ["+79161234567"]


def test_client_create_over_api(manager_msk):
    api = token_client(manager_msk)
    response = api.post(
        reverse("api-clients"), {"last_name": "Гусев", "first_name": "Ян", "phones": ["89160000000"]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["display_name"] == "Гусев Ян"
    bad = api.post(reverse("api-clients"), {"first_name": "Ян", "phones": ["89160000000"]}, format="json")
    assert bad.json() == {"last_name": ["Укажите фамилию клиента."]}


def test_payments_api(manager_msk, manager2_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    api = token_client(manager_msk)
    created = api.post(
        reverse("api-payments"),
        {"deal": deal.pk, "paid_on": "2026-11-20", "amount": "30000.00", "method": "transfer"},
        format="json",
    )
    assert created.status_code == 201
    assert [p["amount"] for p in api.get(reverse("api-payments"), {"deal": deal.pk}).json()["results"]] == ["30000.00"]
    other = token_client(manager2_msk)
    assert other.get(reverse("api-payments")).json()["results"] == []
    refused = other.post(
        reverse("api-payments"),
        {"deal": deal.pk, "paid_on": "2026-11-20", "amount": "1.00", "method": "cash"},
        format="json",
    )
    assert refused.status_code == 404
    assert Payment.objects.count() == 1
