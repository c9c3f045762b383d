"""Calendars: a lawyer's own calendar with the hearings of their cases; a head's branch day side by side."""

from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from crm.models import User
from deals.services import deal_move_to_stage, hearing_add
from tests.factories import contract_data, court_data, make_client, make_deal


def _day():
    return timezone.localdate() + timedelta(days=1)


def _at(hour: int, day=None) -> datetime:
    return timezone.make_aware(datetime.combine(day or _day(), time(hour)))


def _court_deal(manager, last_name="Судебный"):
    deal = make_deal(manager=manager, last_name=last_name, phones=[f"+7916{abs(hash(last_name)) % 10**7:07d}"])
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager, data=contract_data())
    deal_move_to_stage(deal=deal, stage="db_in_court", by=manager, data={**contract_data(), **court_data()})
    return deal


def _calendar(web, user, owner=None, **query):
    web.force_login(user)
    url = reverse("activities:calendar_of", args=[(owner or user).pk])
    return web.get(url, {"view": "week", "date": _day().isoformat(), **query})


def test_lawyer_calendar_opens_their_own_with_the_hearings_of_their_cases(web, lawyer_msk, manager_msk, manager_spb):
    deal = _court_deal(manager_msk)
    other_branch = _court_deal(manager_spb, last_name="Питерский")
    hearing_add(deal=deal, by=lawyer_msk, date=_at(11), next_date=_at(12, _day() + timedelta(days=1)))
    hearing_add(deal=other_branch, by=manager_spb, date=_at(14))
    web.force_login(lawyer_msk)
    assert web.get(reverse("activities:calendar"))["Location"] == f"/calendar/{lawyer_msk.pk}/"

    page = _calendar(web, lawyer_msk)
    html = page.content.decode()
    assert page.status_code == 200
    hearings = [(h.at, h.deal.pk, h.is_next) for d, _, hs in page.context["calendar_days"] for h in hs]
    assert hearings == [(_at(11), deal.pk, False), (_at(12, _day() + timedelta(days=1)), deal.pk, True)]
    assert f'href="/deals/{deal.pk}/"' in html and "А40-123456/2026" in html and "Арбитражный суд г. Москвы" in html
    assert "Питерский" not in html  # another branch's case is not the lawyer's


def test_a_hearing_recorded_on_its_announced_date_shows_once(web, lawyer_msk, manager_msk):
    deal = _court_deal(manager_msk)
    hearing_add(deal=deal, by=lawyer_msk, date=_at(10, _day() - timedelta(days=1)), next_date=_at(15))
    hearing_add(deal=deal, by=lawyer_msk, date=_at(15))
    page = _calendar(web, lawyer_msk)
    hearings = [(h.at, h.is_next) for d, _, hs in page.context["calendar_days"] for h in hs if h.at == _at(15)]
    assert hearings == [(_at(15), False)]


def test_lawyers_calendar_is_theirs_and_the_heads_not_a_colleagues(web, lawyer_msk, manager_msk, head_msk, head_spb):
    assert _calendar(web, manager_msk, owner=lawyer_msk).status_code == 404
    assert _calendar(web, head_spb, owner=lawyer_msk).status_code == 404
    assert _calendar(web, head_msk, owner=lawyer_msk).status_code == 200


def test_manager_calendar_is_unchanged_and_shows_no_hearings(web, manager_msk, lawyer_msk):
    deal = _court_deal(manager_msk)
    hearing_add(deal=deal, by=lawyer_msk, date=_at(11))
    page = _calendar(web, manager_msk)
    assert [h for _, _, hs in page.context["calendar_days"] for h in hs] == []


def test_head_sees_the_branch_side_by_side(web, head_msk, manager_msk, manager2_msk, manager_spb):
    client = make_client(manager=manager_msk, last_name="Встречин")
    meeting = activity_services.meeting_book(
        by=manager_msk, manager=manager_msk, starts_at=_at(10), ends_at=_at(11), client=client
    )
    web.force_login(head_msk)
    assert 'data-testid="calendar-branch-link"' in _calendar(web, head_msk, owner=manager_msk).content.decode()
    page = web.get(reverse("activities:calendar_branch"), {"date": _day().isoformat()})
    assert page.status_code == 200
    columns = {c.owner.username: [a.pk for a in c.entries] for c in page.context["columns"]}
    assert columns == {"rop.msk": [], "manager.msk": [meeting.pk], "manager2.msk": []}
    assert "Встречин" in page.content.decode()
    # Another branch asked for by id falls back to the head's own.
    other = web.get(reverse("activities:calendar_branch"), {"branch": manager_spb.branch_id})
    assert other.context["branch"].pk == head_msk.branch_id


def test_director_picks_any_branch(web, director, manager_spb):
    web.force_login(director)
    page = web.get(reverse("activities:calendar_branch"), {"branch": manager_spb.branch_id})
    assert [c.owner.username for c in page.context["columns"]] == ["rop.spb", "manager.spb"]


def test_branch_day_refused_to_managers_lawyers_and_the_desk(web, manager_msk, lawyer_msk, call_centre):
    for user in (manager_msk, lawyer_msk, call_centre):
        web.force_login(user)
        assert web.get(reverse("activities:calendar_branch")).status_code == 403
        assert 'data-testid="calendar-branch-link"' not in _calendar(web, user, owner=manager_msk).content.decode()
    assert User.objects.count() >= 3  # nothing to change on a read; the refusal is the answer


def test_branch_day_query_count_does_not_grow(web, head_msk, manager_msk, manager2_msk, django_assert_num_queries):
    def seed(hour):
        for m in (manager_msk, manager2_msk):
            c = make_client(manager=m, last_name=f"К{m.pk}{hour}", phones=[f"+791600{m.pk:02d}{hour:03d}"])
            activity_services.meeting_book(
                by=m, manager=m, starts_at=_at(hour), ends_at=_at(hour) + timedelta(minutes=45), client=c
            )

    web.force_login(head_msk)
    url = reverse("activities:calendar_branch") + f"?date={_day().isoformat()}"
    seed(9)
    with django_assert_num_queries(7) as first:
        web.get(url)
    seed(11)
    seed(13)
    with django_assert_num_queries(len(first.captured_queries)):
        web.get(url)
