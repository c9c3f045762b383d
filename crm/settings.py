"""Settings for the CRM, read from environment variables only.

Defaults run the whole CRM on one PC: a SQLite file, a Celery broker kept in
files (no server), static files served by WhiteNoise. Production sets
DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and HTTPS=1.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from crm.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime state of a one-PC install: database, broker files, secret key, logs.
VAR_DIR = Path(env_str("CRM_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    # On one PC nobody should have to invent a key: make one once and keep it
    # beside the database. Production passes SECRET_KEY explicitly.
    key = env_str("SECRET_KEY")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "crm",
    "clients",
    "tasks",
    "deals",
    "leads",
    "activities",
    "reports",
    "integrations",
    "web",
]

MIDDLEWARE = [
    # Outermost, so even a refusal further down carries the policy headers.
    "crm.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body: an oversized upload is refused by its Content-Length alone.
    "crm.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "web.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.navigation.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'crm.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside the
    # writer, IMMEDIATE transactions take the write lock up front so two
    # writers wait for each other instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file, not memory, so a Celery worker process started by the
    # integration tests can open the same test database; one per test run,
    # so two runs side by side do not write into each other's file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # No JIT: it pays off for queries that run for seconds; ours run for milliseconds and the compile alone
    # added 10–40 ms to a dashboard's grouped counts (bench/README.md). DATABASE_JIT=on brings it back.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c jit={env_str('DATABASE_JIT', 'off')}"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crm.User"
AUTHENTICATION_BACKENDS = ["crm.backends.StaffBackend"]

# --- Cache, Celery ------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

BROKER_DIR = Path(env_str("CELERY_BROKER_DIR", str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Messages are files in one folder shared by web, worker and beat.
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
# Tasks report their outcome in the database rows they change, not in a
# result backend: nobody waits on a task's return value.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = "Europe/Moscow"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Moscow time (hour, minute) of the end-of-day report reminder and of the heads' morning list.
DAILY_REPORT_REMIND_AT = tuple(int(x) for x in env_str("DAILY_REPORT_REMIND_AT", "17:00").split(":"))
ANALYTICS_ROLLUP_SECONDS = env_int("ANALYTICS_ROLLUP_SECONDS", 300)
DAILY_REPORT_DIGEST_AT = tuple(int(x) for x in env_str("DAILY_REPORT_DIGEST_AT", "9:30").split(":"))
CELERY_BEAT_SCHEDULE = {
    "purge-old-login-failures": {
        "task": "crm.tasks.purge_login_failures_task",
        "schedule": crontab(minute=17, hour=3),
    },
    "clients-abandoned": {
        "task": "activities.tasks.clients_mark_abandoned_task",
        "schedule": crontab(minute=30, hour=6),
    },
    "pool-hand-out": {"task": "activities.tasks.pool_hand_out_task", "schedule": crontab(minute=0, hour=7)},
    "outbox-redrive": {"task": "crm.outbox_redrive", "schedule": 60.0},
    "disk-reconcile": {"task": "integrations.disk_reconcile_task", "schedule": crontab(minute=30, hour=2)},
    "task-reports": {"task": "tasks.tasks.reports_create_due_task", "schedule": crontab(minute="*/15")},
    "task-feedback-24h": {"task": "tasks.tasks.feedback_watch_task", "schedule": crontab(minute="*/10")},
    "task-deadlines": {"task": "tasks.tasks.deadlines_watch_task", "schedule": crontab(minute=5, hour="8-20")},
    # The end-of-day report: a reminder before the day ends, the heads' list of missing reports next morning
    # (both jobs do nothing on Russian days off).
    "daily-report-remind": {
        "task": "reports.tasks.daily_reports_remind_task",
        "schedule": crontab(minute=DAILY_REPORT_REMIND_AT[1], hour=DAILY_REPORT_REMIND_AT[0]),
    },
    "daily-report-missing": {
        "task": "reports.tasks.daily_reports_missing_digest_task",
        "schedule": crontab(minute=DAILY_REPORT_DIGEST_AT[1], hour=DAILY_REPORT_DIGEST_AT[0]),
    },
    # The dashboards' sums by day and month take in new stage moves and payments; the rows not yet taken in
    # are read raw, so the period only bounds how many that is.
    "analytics-rollup": {"task": "reports.tasks.analytics_rollup_task", "schedule": float(ANALYTICS_ROLLUP_SECONDS)},
}

# --- Auth, sessions, security -------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 9}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "crm:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "crm:login"

# Login throttling: this many failures for one login (or from one address,
# times four) within the window lock further attempts until the window passes.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# HTTPS=1 in production (behind TLS); off on one office PC reached over
# plain http://127.0.0.1, where secure cookies would make login impossible.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# --- Request size ---------------------------------------------------------------
# The largest single upload is a client document (50 MB, clients.services); the
# cap leaves room for the form around it. Anything bigger is refused by its
# Content-Length before the body is read (crm.middleware).
MAX_REQUEST_BODY_MB = env_int("MAX_REQUEST_BODY_MB", 52)
MAX_REQUEST_BODY_BYTES = MAX_REQUEST_BODY_MB * 1024 * 1024
# Form fields and JSON bodies, files excluded: no page or API call sends more
# than a few kilobytes of text, so Django's 2.5 MB default is kept, stated here.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# An uploaded file above this goes to a temporary file instead of staying in a
# worker's memory while the form is validated.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- E-mail (notifications are always in the CRM; by e-mail only when configured) ---
EMAIL_ENABLED = env_bool("EMAIL_ENABLED", False)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 465)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "crm@localhost")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# --- Yandex.Disk mirror -----------------------------------------------------------
YANDEX_DISK_ENABLED = env_bool("YANDEX_DISK_ENABLED", False)
YANDEX_DISK_TOKEN = env_str("YANDEX_DISK_TOKEN")
YANDEX_DISK_API_URL = env_str("YANDEX_DISK_API_URL", "https://cloud-api.yandex.net")
YANDEX_DISK_TIMEOUT = env_int("YANDEX_DISK_TIMEOUT", 30)
# The Celery queue of the mirror's jobs (own workers in production, see docker-compose.yml).
YANDEX_DISK_QUEUE = env_str("YANDEX_DISK_QUEUE", "disk")
# A worker holds a client's folder this long; a killed worker's hold runs out after it.
YANDEX_DISK_LEASE_SECONDS = env_int("YANDEX_DISK_LEASE_SECONDS", 180)
# First retry after about this many seconds, doubling up to an hour.
YANDEX_DISK_BACKOFF_SECONDS = float(env_str("YANDEX_DISK_BACKOFF_SECONDS", "5"))
YANDEX_DISK_BACKOFF_MAX_SECONDS = float(env_str("YANDEX_DISK_BACKOFF_MAX_SECONDS", "3600"))
# Beat's mirror jobs (redrive, reconciliation) go to the mirror's queue too.
CELERY_TASK_ROUTES = {"integrations.*": {"queue": YANDEX_DISK_QUEUE}}

# --- Yandex.Calendar mirror over CalDAV (integrations/caldav) ---------------------------
CALDAV_ENABLED = env_bool("CALDAV_ENABLED", False)
CALDAV_DEFAULT_URL = env_str("CALDAV_DEFAULT_URL", "https://caldav.yandex.ru")
# Fernet key for the app passwords at rest (`Fernet.generate_key()`); without it nobody can connect.
CALDAV_SECRET_KEY = env_str("CALDAV_SECRET_KEY")
# Short: a check runs while a person waits, and a slow Yandex must not hold a worker.
CALDAV_TIMEOUT = env_int("CALDAV_TIMEOUT", 10)
# The only servers a connection may name (https); loopback only with CALDAV_ALLOW_LOOPBACK.
CALDAV_ALLOWED_HOSTS = env_list("CALDAV_ALLOWED_HOSTS", "caldav.yandex.ru")
CALDAV_READBACK_SECONDS = env_int("CALDAV_READBACK_SECONDS", 60)
CALDAV_READBACK_DAYS = env_int("CALDAV_READBACK_DAYS", 28)
CALDAV_QUEUE = env_str("CALDAV_QUEUE", "default")  # outside the Disk's route: tasks are named caldav.*
# Loopback servers (Radicale in tests and development) are refused unless this is on.
CALDAV_ALLOW_LOOPBACK = env_bool("CALDAV_ALLOW_LOOPBACK", False)
CELERY_BEAT_SCHEDULE["caldav-readback"] = {
    "task": "caldav.readback_task",
    "schedule": float(CALDAV_READBACK_SECONDS),
}

# --- Documents from templates (integrations/documents) -----------------------------------
# LibreOffice headless makes the PDF; each conversion gets its own profile directory, and a
# conversion that hangs is killed after the timeout (the outbox tries again later).
DOCUMENTS_SOFFICE = env_str("DOCUMENTS_SOFFICE", "soffice")
DOCUMENTS_PDF_TIMEOUT = env_int("DOCUMENTS_PDF_TIMEOUT", 60)
DOCUMENTS_QUEUE = env_str("DOCUMENTS_QUEUE", "default")
# A deal entering «В суде», «Архив» or «Завершён» gets the act for the stage just completed.
DOCUMENTS_STAGE_ACTS = env_bool("DOCUMENTS_STAGE_ACTS", True)

# --- Mango Office telephony (integrations/mango) ------------------------------------------
# Events come in signed with the key and the salt of the VPBX's API settings; commands go out
# to MANGO_API_URL signed the same way. Off unless MANGO_ENABLED.
MANGO_ENABLED = env_bool("MANGO_ENABLED", False)
MANGO_API_KEY = env_str("MANGO_API_KEY")
MANGO_API_SALT = env_str("MANGO_API_SALT")
MANGO_API_URL = env_str("MANGO_API_URL", "https://app.mango-office.ru/vpbx/")
MANGO_QUEUE = env_str("MANGO_QUEUE", "default")
# At 03:30 Moscow time yesterday's calls are checked against Mango's own report (stats/request) and
# those whose events were lost are filled in (integrations/mango/stats.py).
CELERY_BEAT_SCHEDULE["mango-stats"] = {"task": "mango.stats_catch_up_task", "schedule": crontab(minute=30, hour=3)}
# Where non-target callers are sent (commands/route): this extension, else the office manager's own.
MANGO_SECRETARY_EXTENSION = env_str("MANGO_SECRETARY_EXTENSION")
# Yandex.Mail (integrations/mail): staff mailboxes read over IMAP and written from over SMTP.
MAIL_ENABLED = env_bool("MAIL_ENABLED", False)
# Fernet key for the mailboxes' app passwords at rest; falls back to the calendar's key.
MAIL_SECRET_KEY = env_str("MAIL_SECRET_KEY") or CALDAV_SECRET_KEY
MAIL_POLL_SECONDS = env_int("MAIL_POLL_SECONDS", 60)
MAIL_FETCH_BATCH = env_int("MAIL_FETCH_BATCH", 100)  # UIDs per FETCH: Yandex refuses very long UID sets
MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 20)
MAIL_QUEUE = env_str("MAIL_QUEUE", "default")
# A CA bundle to trust besides the system's (a test server's self-signed certificate).
MAIL_CA_FILE = env_str("MAIL_CA_FILE")
MAIL_MAX_ATTACHMENT_MB = env_int("MAIL_MAX_ATTACHMENT_MB", 25)
# The only servers a mailbox may name; a server on this machine (the test servers) only with MAIL_ALLOW_LOOPBACK.
MAIL_ALLOWED_HOSTS = env_list("MAIL_ALLOWED_HOSTS", "imap.yandex.ru,smtp.yandex.ru,imap.yandex.com,smtp.yandex.com")
MAIL_ALLOW_LOOPBACK = env_bool("MAIL_ALLOW_LOOPBACK", False)
CELERY_BEAT_SCHEDULE["mail-poll"] = {"task": "mail.poll_all_task", "schedule": float(MAIL_POLL_SECONDS)}

# --- The outbox (crm/outbox.py): how committed changes reach outside systems ----------------
# First pause before another try, doubled up to the ceiling; a lease a worker holds on one
# (kind, key) while it works; after this many failed tries a job waits for the admin.
OUTBOX_BACKOFF_SECONDS = float(env_str("OUTBOX_BACKOFF_SECONDS", "5"))
OUTBOX_BACKOFF_MAX_SECONDS = float(env_str("OUTBOX_BACKOFF_MAX_SECONDS", "3600"))
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 180)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 30)

# --- Locale -------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
NODE_MODULES = BASE_DIR / "node_modules"
# Third-party front-end code is installed by npm (package.json) and served
# from node_modules under a stable prefix; nothing vendored in the repo.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# --- API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's JSON parser with a nesting limit; form and multipart as DRF has them.
    "DEFAULT_PARSER_CLASSES": [
        "crm.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM юридической фирмы — API",
    "DESCRIPTION": "API для сайта, партнёров и внутренних сервисов. Авторизация: `Authorization: Token <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema maps every endpoint and field: staff only, by session (the docs page) or token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_AUTHENTICATION": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "tasks.models.Task.Status",
        "LeadStatusEnum": "leads.models.Lead.Status",
        "ClientKindEnum": "clients.models.Client.Kind",
        "GeneratedDocumentKindEnum": "integrations.models.GeneratedDocument.Kind",
        "IncomingDocumentKindEnum": "deals.models.IncomingDocument.Kind",
    },
}

# --- Logging --------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
