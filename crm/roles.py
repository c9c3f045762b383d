"""Staff roles. Roles are the permission system: no Django groups."""

from django.db import models


class Role(models.TextChoices):
    MANAGER = "manager", "Менеджер по продажам"
    CALL_CENTRE = "call_centre", "Колл-центр"
    LAWYER = "lawyer", "Юрист"
    HEAD_OF_SALES = "head_of_sales", "Руководитель отдела продаж"
    DIRECTOR = "director", "Директор"
    OFFICE_MANAGER = "office_manager", "Офис-менеджер"
    ADMIN = "admin", "Администратор"


# Roles whose work is tied to one branch: without a branch they cannot work.
BRANCH_ROLES = frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.LAWYER})

# Roles at the top of the org chart: they answer to no supervisor.
TOP_ROLES = frozenset({Role.DIRECTOR, Role.ADMIN})

# Order in which colleagues are listed: by rank, then by the work they do.
RANK = [Role.DIRECTOR, Role.HEAD_OF_SALES, Role.MANAGER, Role.LAWYER, Role.CALL_CENTRE, Role.OFFICE_MANAGER, Role.ADMIN]
