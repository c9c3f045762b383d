"""Factories that build domain objects through the services, as the CRM itself does."""

import factory

from crm import services
from crm.models import Branch, User
from crm.roles import Role

TEST_PASSWORD = "correct-horse-42"


class BranchFactory(factory.Factory):
    class Meta:
        model = Branch

    name = factory.Sequence(lambda n: f"Филиал {n}")
    city = "Москва"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.branch_create(by=None, **kwargs)


class UserFactory(factory.Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Сотрудников Сотрудник {n}")
    role = Role.MANAGER
    branch = None
    supervisor = None
    password = TEST_PASSWORD

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.user_create(by=None, **kwargs)


def make_client(
    *, manager, last_name="Клиентов", first_name="Иван", patronymic="Петрович", phones=("+79161234567",), **fields
):
    from clients.services import client_create

    return client_create(
        by=manager,
        branch=manager.branch,
        manager=manager,
        last_name=last_name,
        first_name=first_name,
        patronymic=patronymic,
        phones=phones,
        **fields,
    )


def make_deal(*, manager, service_line="db", client=None, **client_fields):
    from deals.services import deal_create

    client = client or make_client(manager=manager, **client_fields)
    return deal_create(by=manager, client=client, service_line=service_line, manager=manager)


def contract_data():
    from datetime import date
    from decimal import Decimal

    return {"contract_number": "ДБ-17/2026", "contract_date": date(2026, 11, 2), "fee": Decimal("120000")}


def court_data():
    from datetime import date

    return {"court": "Арбитражный суд г. Москвы", "case_number": "А40-123456/2026", "filing_date": date(2026, 11, 10)}


def make_firm(**overrides):
    """The firm's requisites, passing the checksums: Sberbank's БИК and correspondent account, a valid ИНН."""
    from integrations.models import LegalEntity

    values = {
        "name": "Общество с ограниченной ответственностью «Правовой центр „Решение“»",
        "short_name": "ООО «Решение»",
        "inn": "7707083893",
        "kpp": "773601001",
        "ogrn": "1027700132195",
        "address": "117997, г. Москва, ул. Вавилова, д. 19",
        "signatory": "Орлова Марина Викторовна",
        "signatory_position": "Генеральный директор",
        "signatory_basis": "Устава",
        "bank": "ПАО Сбербанк",
        "bik": "044525225",
        "account": "40702810938000012345",
        "corr_account": "30101810400000000225",
        "is_default": True,
    }
    return LegalEntity.objects.create(**(values | overrides))


def make_payment(*, deal, paid_on, amount, method="cash", recorded_by):
    """A payment row written straight (without payment_record's checks and reallocation), carrying the deal's
    branch, manager, source and line as payment_record does."""
    from deals.models import Payment

    return Payment.objects.create(
        deal=deal,
        paid_on=paid_on,
        amount=amount,
        method=method,
        recorded_by=recorded_by,
        branch_id=deal.branch_id,
        manager_id=deal.manager_id,
        source=deal.source,
        service_line=deal.service_line,
    )
