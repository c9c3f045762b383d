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
