"""The header search: clients, leads and deals found by one query, each under its own access rule.

It composes three apps, so it lives in web/; each app's selector decides which of
its rows match and which the user may see (`clients_search`, `leads_search`,
`deals_search`). The front desk gets contact-level hits only: clients by phone
or e-mail (opened as a new request from that contact, never as a case file)
and the leads it sees.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from clients.selectors import clients_search, contacts_search
from crm import access
from crm.search import Terms, parse
from deals.selectors import deals_search
from leads.selectors import leads_search

PER_TYPE = 20  # the API and the results page
BOX_PER_TYPE = 5  # the dropdown under the header box

KIND_LABELS = {"client": "клиент", "lead": "лид", "deal": "сделка"}


@dataclass(frozen=True)
class Hit:
    type: str  # client | lead | deal
    id: int
    title: str
    url: str
    detail: str  # stage, status, manager — what tells two hits apart

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.type]


@dataclass(frozen=True)
class Results:
    terms: Terms
    clients: list[Hit]
    leads: list[Hit]
    deals: list[Hit]

    @property
    def all(self) -> list[Hit]:
        return [*self.clients, *self.deals, *self.leads]

    @property
    def full(self) -> bool:
        """Some kind reached its limit: there may be more than shown."""
        return any(len(hits) >= self.limit for hits in (self.clients, self.leads, self.deals))

    limit: int = PER_TYPE


def _manager(row) -> str:
    return row.manager.short_name if row.manager_id else "без менеджера"


def _client_hits(user, terms: Terms, limit: int) -> list[Hit]:
    if access.may_list_clients(user):
        return [
            Hit(
                "client",
                c.pk,
                c.display_name,
                reverse("clients:client_detail", args=[c.pk]),
                f"{c.get_status_display()} · {_manager(c)}",
            )
            for c in clients_search(user, terms, limit=limit)
        ]
    # The front desk: who this contact is and whose client, opened as a new request from them.
    hits = []
    for c in contacts_search(user, terms, limit=limit):
        phones = list(c.phones.all())
        contact = {"phone": phones[0].number} if phones else {"email": c.email}
        new_request = f"{reverse('leads:new')}?{urlencode(contact)}"
        hits.append(Hit("client", c.pk, c.display_name, new_request, f"менеджер: {_manager(c)}"))
    return hits


def _lead_hits(user, terms: Terms, limit: int) -> list[Hit]:
    return [
        Hit(
            "lead",
            lead.pk,
            str(lead),
            reverse("leads:detail", args=[lead.pk]),
            f"{lead.get_status_display()}"
            + (f" · {lead.assigned_to.short_name}" if lead.assigned_to_id else " · не распределён"),
        )
        for lead in leads_search(user, terms, limit=limit)
    ]


def _deal_hits(user, terms: Terms, limit: int) -> list[Hit]:
    hits = []
    for deal in deals_search(user, terms, limit=limit):
        number = deal.case_number or deal.contract_number
        line = deal.get_service_line_display().split()[0]  # «ДБ», «ДУ»
        detail = f"{line}, {deal.get_stage_display()}" + (f" · {number}" if number else "")
        hits.append(Hit("deal", deal.pk, deal.client.display_name, deal.url, f"{detail} · {_manager(deal)}"))
    return hits


def search(user, text: str, *, limit: int = PER_TYPE) -> Results:
    """Up to `limit` hits of each kind `user` may see (three bounded, index-backed queries at most)."""
    terms = parse(text)
    if not (terms and access.may_search(user)):
        return Results(terms, [], [], [], limit)
    return Results(
        terms, _client_hits(user, terms, limit), _lead_hits(user, terms, limit), _deal_hits(user, terms, limit), limit
    )
