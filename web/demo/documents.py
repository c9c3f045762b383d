"""Demo requisites and numbering, so «Составить» on a demo deal card makes a real document.

The requisites pass every checksum (Sberbank's БИК and correspondent account, a settlement
account keyed to that БИК); the firm itself is invented.
"""

from django.db import transaction
from django.utils import timezone

from integrations.documents.services import DEFAULT_PATTERNS
from integrations.models import DocumentSeries, LegalEntity

FIRM = {
    "name": "Общество с ограниченной ответственностью «Правовой центр „Решение“»",
    "short_name": "ООО «Решение»",
    "inn": "7707083893",
    "kpp": "773601001",
    "ogrn": "1027700132195",
    "address": "115035, г. Москва, ул. Садовническая, д. 5, офис 12",
    "signatory": "Орлова Марина Викторовна",
    "signatory_position": "Генеральный директор",
    "signatory_basis": "Устава",
    "bank": "ПАО Сбербанк",
    "bik": "044525225",
    "account": "40702810938000012345",
    "corr_account": "30101810400000000225",
    "phone": "+7 (495) 120-45-67",
    "email": "info@reshenie-pravo.example",
    "is_default": True,
}


@transaction.atomic
def seed_documents() -> list[str]:
    if LegalEntity.objects.exists():
        return []
    LegalEntity.objects.create(**FIRM)
    year = timezone.localdate().year
    DocumentSeries.objects.bulk_create(
        [DocumentSeries(key=key, year=year, pattern=pattern) for key, pattern in DEFAULT_PATTERNS.items()],
        ignore_conflicts=True,
    )
    return ["реквизиты фирмы и нумерация документов"]
