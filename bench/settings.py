"""Settings for the benchmarks: the production settings, pages rendered in-process
(no collectstatic needed), on the database DATABASE_URL names."""

from crm.settings import *  # noqa: F403
from crm.settings import ALLOWED_HOSTS, STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
