"""The one place that builds the Yandex.Disk client.

Tests and staging point YANDEX_DISK_API_URL at a stand-in; production leaves
the real API. Retries are ours (the outbox, with backoff), not the library's,
so the library is told not to retry and to give up after a bounded time.
"""

import yadisk
from django.conf import settings


def build_client() -> yadisk.Client:
    # yadisk reads its base URL from module settings; set it before every
    # client is made so a change of configuration is always honoured.
    yadisk.settings.BASE_API_URL = settings.YANDEX_DISK_API_URL.rstrip("/")
    return yadisk.Client(
        token=settings.YANDEX_DISK_TOKEN,
        session="requests",
        default_args={"timeout": (5.0, settings.YANDEX_DISK_TIMEOUT), "n_retries": 0},
    )


# What a read from the Disk may raise: the API's own errors and the network's.
TRANSPORT_ERRORS = (yadisk.exceptions.YaDiskError,)
