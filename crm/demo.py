"""Demo org chart: two branches and one account per role, all with one password.

Later apps add their own demo records by extending `seed_demo` with a
function of their own (see web/management/commands/seed_demo.py).
"""

from django.db import transaction

from crm import services
from crm.models import Branch, User
from crm.roles import Role

DEMO_PASSWORD = "demo12345"

BRANCHES = [("Москва", "Москва"), ("Санкт-Петербург", "Санкт-Петербург")]

# username, full name, role, branch name, supervisor username, phone
STAFF = [
    ("director", "Орлова Марина Викторовна", Role.DIRECTOR, None, None, "+7 495 100-00-01"),
    ("admin", "Смирнов Алексей Петрович", Role.ADMIN, None, None, "+7 495 100-00-02"),
    ("rop.msk", "Кузнецов Дмитрий Сергеевич", Role.HEAD_OF_SALES, "Москва", "director", "+7 495 100-00-10"),
    ("rop.spb", "Волкова Елена Андреевна", Role.HEAD_OF_SALES, "Санкт-Петербург", "director", "+7 812 100-00-10"),
    ("manager.msk", "Иванов Сергей Николаевич", Role.MANAGER, "Москва", "rop.msk", "+7 495 100-00-11"),
    ("manager2.msk", "Петрова Анна Игоревна", Role.MANAGER, "Москва", "rop.msk", "+7 495 100-00-12"),
    ("manager.spb", "Соколов Павел Олегович", Role.MANAGER, "Санкт-Петербург", "rop.spb", "+7 812 100-00-11"),
    ("lawyer.msk", "Морозова Ольга Дмитриевна", Role.LAWYER, "Москва", "director", "+7 495 100-00-20"),
    ("callcenter", "Новикова Ирина Павловна", Role.CALL_CENTRE, None, "director", "+7 800 100-00-00"),
    ("office", "Лебедева Татьяна Юрьевна", Role.OFFICE_MANAGER, "Москва", "director", "+7 495 100-00-30"),
]


@transaction.atomic
def seed_org_chart() -> list[str]:
    """Create the demo branches and staff that are missing; return what was created."""
    created = []
    branches = {b.name: b for b in Branch.objects.all()}
    for name, city in BRANCHES:
        if name not in branches:
            branches[name] = services.branch_create(by=None, name=name, city=city)
            created.append(f"филиал {name}")
    users = {u.username: u for u in User.objects.filter(username__in=[row[0] for row in STAFF])}
    for username, full_name, role, branch, boss, phone in STAFF:
        if username in users:
            continue
        users[username] = services.user_create(
            by=None,
            username=username,
            full_name=full_name,
            role=role,
            password=DEMO_PASSWORD,
            branch=branches[branch] if branch else None,
            supervisor=users.get(boss) if boss else None,
            email=f"{username.replace('.', '-')}@example.ru",
            phone=phone,
        )
        created.append(f"сотрудник {username}")
    return created
