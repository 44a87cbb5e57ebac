"""Jaring settings, read from the environment (see docs/operations/configuration.md).

SQLite under ``$JARING_HOME`` is the default; ``DATABASE_URL`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from jaring.core.logs import logging_config
from jaring.core.secrets import load_or_create_secrets, restrict_umask, secure_home

# Before anything is written: every file Jaring creates is owner-only (0600, folders 0700).
restrict_umask()

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A setting from the environment, or from the file named by ``NAME_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    return env(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    return int(env(name, str(default)))


JARING_ENV = env("JARING_ENV", "development")
JARING_HOME = Path(env("JARING_HOME", str(BASE_DIR / "var"))).resolve()
secure_home(JARING_HOME)  # 0700; tightens (with a warning) what an older version left open
TESTING = envbool("JARING_TESTING", "false")

_secrets = load_or_create_secrets(
    home=JARING_HOME,
    production=JARING_ENV == "production",
    secret_key=env("SECRET_KEY"),
    data_key=env("JARING_DATA_KEY"),
)
SECRET_KEY = _secrets.secret_key
# 32-byte master key (base64) for personal identifiers: AES-GCM encryption and HMAC blind index.
JARING_DATA_KEY = _secrets.data_key

DEBUG = envbool("DEBUG", "false")
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "jaring.core",
    "jaring.regions",
    "jaring.accounts",
    "jaring.registry",
    "jaring.simulator",
    "jaring.membership",
    "jaring.contributions",
    "jaring.targeting",
    "jaring.claims",
    "jaring.reminders",
    "jaring.reports",
    "jaring.outreach",
    "jaring.fieldwork",
    "jaring.offline",
    "jaring.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # gzip for pages and JSON (not for XLSX/PDF, not for cross-site requests: BREACH, decision 0037);
    # after WhiteNoise, whose static files are compressed ahead of time.
    "jaring.core.compression.CompressionMiddleware",
    # After WhiteNoise, so static files keep their long-lived caching; before the rest, so every
    # dynamic response (a 413 included) gets the CSP and no-store (decision 0021).
    "jaring.core.security.SecurityHeadersMiddleware",
    "jaring.core.middleware.RequestContextMiddleware",
    # X-Request-ID on every response; with JARING_LOG_FORMAT=json, one access line per request.
    "jaring.core.logs.AccessLogMiddleware",
    "jaring.api.errors.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jaring.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "jaring.accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jaring.accounts.middleware.TwoFactorMiddleware",
    "jaring.accounts.middleware.PasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "jaring.urls"
WSGI_APPLICATION = "jaring.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jaring" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "jaring.core.context_processors.jaring",
            ],
            "builtins": ["jaring.accounts.templatetags.access"],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------
_sqlite_path = JARING_HOME / "jaring.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{_sqlite_path}"), conn_max_age=envint("DB_CONN_MAX_AGE", 0),
        # A kept connection is checked before a request reuses it (after a database restart).
        conn_health_checks=envint("DB_CONN_MAX_AGE", 0) > 0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN
        # so two writers queue on busy_timeout instead of failing half-way (healthchecks does this).
        # mmap lets the large scans (allocation, dashboards) read pages without copying them.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                        f"PRAGMA mmap_size={envint('SQLITE_MMAP_BYTES', 256 * 1024 * 1024)};",
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("SQLITE_BUSY_TIMEOUT", 20),
    }
    # A file (not :memory:) so WAL, locking and the no-NIK-in-clear test behave as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(JARING_HOME / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env(
        "TEST_DATABASE_NAME", f"test_jaring_{os.getpid()}"
    )
# The jobs alias (core.routers, decision 0047): a running job's progress, heartbeat and cancel request,
# written while the job's own transaction holds the main database. SQLite: a small file beside the main
# one; PostgreSQL: the same database through a second connection.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _main_db = Path(DATABASES["default"]["NAME"])
    DATABASES["jobs"] = {
        "ENGINE": "django.db.backends.sqlite3", "NAME": str(_main_db.with_name(f"{_main_db.stem}-jobs.sqlite3")),
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                    "timeout": envint("SQLITE_BUSY_TIMEOUT", 20)},
        "TEST": {"NAME": str(JARING_HOME / f"test-{os.getpid()}-jobs.sqlite3")},
    }
else:
    DATABASES["jobs"] = {**DATABASES["default"], "ATOMIC_REQUESTS": False, "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["jaring.core.routers.JobSignalRouter"]
# Tests use one connection (the default alias); the cross-connection tests switch to "jobs".
JARING_JOBS_DB = env("JARING_JOBS_DB", "default" if TESTING else "jobs")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["jaring.accounts.backends.LockoutBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests create many users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "name", "phone")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "jaring.accounts.validators.LocalNamePasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Failed logins (docs/decisions/0020-login-throttling.md). Per typed username + client address:
# free failures, then a wait that doubles with each further failure up to the cap. Per address
# (many usernames) and per account (from anywhere) only after many more failures; the account
# lock is short, so nobody can keep the real user out for long from one address.
JARING_LOGIN_PAIR_FREE = envint("JARING_LOGIN_PAIR_FREE", 3)
JARING_LOGIN_IP_FREE = envint("JARING_LOGIN_IP_FREE", 30)
JARING_LOGIN_ACCOUNT_FREE = envint("JARING_LOGIN_ACCOUNT_FREE", 50)
JARING_LOGIN_BACKOFF_SECONDS = envint("JARING_LOGIN_BACKOFF_SECONDS", 2)
JARING_LOGIN_BACKOFF_MAX_SECONDS = envint("JARING_LOGIN_BACKOFF_MAX_SECONDS", 900)
JARING_LOGIN_ACCOUNT_LOCK_SECONDS = envint("JARING_LOGIN_ACCOUNT_LOCK_SECONDS", 60)
# Failures are forgotten this long after the last one.
JARING_LOGIN_WINDOW_SECONDS = envint("JARING_LOGIN_WINDOW_SECONDS", 24 * 3600)
# Roles that must use a TOTP second factor on the web (comma-separated; empty for none).
JARING_2FA_REQUIRED_ROLES = [r.strip() for r in env("JARING_2FA_REQUIRED_ROLES", "admin,operator").split(",")
                             if r.strip()]
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Jaring")
# Password-reset links (made by an admin or sent by e-mail) work once, for this many minutes; one
# account gets at most this many e-mailed links an hour.
JARING_PASSWORD_RESET_MINUTES = envint("JARING_PASSWORD_RESET_MINUTES", 60)
JARING_PASSWORD_RESET_PER_HOUR = envint("JARING_PASSWORD_RESET_PER_HOUR", 3)
JARING_PASSWORD_RESET_PER_IP_HOUR = envint("JARING_PASSWORD_RESET_PER_IP_HOUR", 20)
# E-mail: SMTP when EMAIL_HOST is set, otherwise the console (the link is printed in the server's
# log, and an admin resets passwords instead).
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                    else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "true") if EMAIL_HOST else False
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "false")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "jaring@localhost")
# A session ends after this many idle minutes, and in any case SESSION_COOKIE_AGE after login.
JARING_SESSION_IDLE_MINUTES = envint("JARING_SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag instead
if JARING_ENV == "production":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# --- Web hardening -------------------------------------------------------------------------------
# jaring.core.security adds the Content-Security-Policy, Permissions-Policy and no-store to every
# dynamic response; Django's SecurityMiddleware adds these to every response, static files included.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if JARING_ENV == "production":
    # Behind a reverse proxy that terminates TLS, either let `jaring serve` trust it
    # (JARING_TRUSTED_PROXY) or name the header it sets, e.g. "X-Forwarded-Proto: https"; never set
    # the header setting when clients can reach the app directly. SECURE_SSL_REDIRECT=false when
    # the proxy already redirects HTTP to HTTPS.
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    # Probes of the process manager or load balancer come over plain HTTP (docs/deploy.md).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
    _proxy_ssl_header = env("SECURE_PROXY_SSL_HEADER")
    if _proxy_ssl_header:
        _name, _sep, _value = _proxy_ssl_header.partition(":")
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip() or "https")

# --- I18n ----------------------------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", "id")
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "jaring" / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Jayapura")
USE_I18N = True
USE_TZ = True

# --- Static --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = JARING_HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "jaring" / "static"]
# Decision 0037: hashed names (pico.min.3f2a….css) with .gz and .br beside them, built into STATIC_ROOT
# by `jaring build-static`, which `jaring serve` runs when a static file changed (core.staticbuild);
# WhiteNoise sends hashed files as "immutable" for ten years, in the .br/.gz the browser accepts.
# Tests render with plain names from the source folders; jaring/core/tests/test_page_weight.py builds
# the real thing and checks that every {% static %} in every template is in it. A service worker needs
# a stable URL at the site root (/sw.js): a view or a WHITENOISE_ROOT folder, never a file from here.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if TESTING
                    else "jaring.core.staticbuild.StaticStorage"},
}
WHITENOISE_KEEP_ONLY_HASHED_FILES = True  # half the files to compress; nothing links to a plain name
# Source maps are for developer tools only: not worth compressing (they are most of the bytes).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
# The finders too: before the first build, pages name the plain files (StaticStorage) and WhiteNoise
# finds them in the source folders, as before; hashed names are only ever in STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# --- Requests ------------------------------------------------------------------------------------
# Bodies above this are refused with 413 before Django reads them (core.middleware).
JARING_MAX_BODY_BYTES = envint("JARING_MAX_BODY_BYTES", 2 * 1024 * 1024)
# SQLite's page cache while the bulk loader writes (KiB): 256 MB makes a million-row import
# about 40% faster; other connections keep SQLite's small default.
JARING_BULK_CACHE_KIB = envint("JARING_BULK_CACHE_KIB", 256 * 1024)
# File uploads (registry imports) may be larger than other bodies; Django streams them to disk.
JARING_MAX_UPLOAD_BYTES = envint("JARING_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# Import files are read in a worker process (core.sandbox) with these limits; a file that breaks
# one fails its job with the reason. Memory is the worker's address space (polars alone maps ~1.2 GB).
JARING_IMPORT_MEMORY_MB = envint("JARING_IMPORT_MEMORY_MB", 4096)
JARING_IMPORT_SECONDS = envint("JARING_IMPORT_SECONDS", 600)
JARING_IMPORT_MAX_ROWS = envint("JARING_IMPORT_MAX_ROWS", 2_000_000)
JARING_IMPORT_MAX_COLUMNS = envint("JARING_IMPORT_MAX_COLUMNS", 500)
JARING_IMPORT_MAX_CELLS = envint("JARING_IMPORT_MAX_CELLS", 30_000_000)
JARING_IMPORT_MAX_LINE_BYTES = envint("JARING_IMPORT_MAX_LINE_BYTES", 100_000)
JARING_IMPORT_MAX_UNCOMPRESSED_MB = envint("JARING_IMPORT_MAX_UNCOMPRESSED_MB", 1024)
JARING_IMPORT_MAX_RATIO = envint("JARING_IMPORT_MAX_RATIO", 100)
# Import error reports (rows of people, NIKs masked) are deleted after this many days.
JARING_REPORT_RETENTION_DAYS = envint("JARING_REPORT_RETENTION_DAYS", 30)
# A registry upload from the web is checked first (a dry run); its file (NIKs in clear) is kept this many
# hours for "Impor sekarang", then purged with the other expired files (decisions 0027, 0044).
JARING_IMPORT_CONFIRM_HOURS = envint("JARING_IMPORT_CONFIRM_HOURS", 24)
# A person merge can be undone this many days after it (registry.services.person_merge_undo, decision 0042).
JARING_MERGE_UNDO_DAYS = envint("JARING_MERGE_UNDO_DAYS", 30)
# Background jobs (imports, scans, nightly work) are tasks of django-tasks (decision 0047). Tests run
# them inline when the request's transaction commits (the immediate backend). Without a broker they
# are rows of the database backend (django-tasks-db), run by the worker thread `jaring serve` starts
# or by `jaring worker`; with JARING_TASKS_BROKER=redis://… they go to Redis (RQ) and run on
# `jaring worker` processes, on this machine or others.
JARING_JOBS_INLINE = envbool("JARING_JOBS_INLINE", "true" if TESTING else "false")
JARING_TASKS_BROKER = env("JARING_TASKS_BROKER", "")
# The queue's name: deployments (or test runs) sharing one Redis each use their own.
JARING_TASKS_QUEUE = env("JARING_TASKS_QUEUE", "default")
_queues = sorted({"default", JARING_TASKS_QUEUE})  # "default": where the task is declared
INSTALLED_APPS += ["django_tasks", "django_tasks_db"]
if JARING_JOBS_INLINE:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": _queues}}
elif JARING_TASKS_BROKER:
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {name: {"URL": JARING_TASKS_BROKER, "DEFAULT_TIMEOUT": -1} for name in _queues}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": _queues}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": _queues}}
# `jaring serve` runs this many worker threads unless a broker is set (0: none; run `jaring worker`).
JARING_EMBEDDED_WORKERS = envint("JARING_EMBEDDED_WORKERS", 1)
# A running job's worker writes a heartbeat this often; a job whose heartbeat is older than
# JARING_JOB_STALE_SECONDS is taken to be dead: re-queued (at most JARING_JOB_MAX_ATTEMPTS starts in all)
# when its work is safe to repeat, else failed with the reason.
JARING_JOB_HEARTBEAT_SECONDS = envint("JARING_JOB_HEARTBEAT_SECONDS", 0 if TESTING else 10)
JARING_JOB_STALE_SECONDS = envint("JARING_JOB_STALE_SECONDS", 60)
JARING_JOB_MAX_ATTEMPTS = envint("JARING_JOB_MAX_ATTEMPTS", 2)
# Nightly work, queued by the worker's scheduler at these local times (name=HH:MM, comma-separated;
# empty: nothing scheduled). By default only the dashboard snapshots: what ends memberships or sends
# messages runs on a schedule only when the office says so, e.g.
# JARING_SCHEDULE=reports.snapshot=01:00,billing.close=02:00,reminders.send=07:00
JARING_SCHEDULE = env("JARING_SCHEDULE", "reports.snapshot=01:00")
DATA_UPLOAD_MAX_MEMORY_SIZE = JARING_MAX_BODY_BYTES
# The views that take files: only a multipart POST to one of these may be up to
# JARING_MAX_UPLOAD_BYTES (core.middleware.body_refusal); `jaring serve` tells waitress the same.
JARING_UPLOAD_URL_NAMES = ["registry:import_start", "membership:bpjstk_exchange", "claims:claim_scan_upload",
                           "api-claim-scans"]
# A claim document's scan or photo (JPEG, PNG or PDF), stored encrypted in the database.
JARING_CLAIM_SCAN_MAX_BYTES = envint("JARING_CLAIM_SCAN_MAX_BYTES", 5 * 1024 * 1024)
JARING_CLAIM_SCANS_PER_DOCUMENT = envint("JARING_CLAIM_SCANS_PER_DOCUMENT", 10)
# The offline field app (decision 0039): a phone's data is wiped after this many days without a
# sync; one snapshot carries at most this many persons.
JARING_OFFLINE_MAX_DAYS = envint("JARING_OFFLINE_MAX_DAYS", 7)
JARING_OFFLINE_MAX_PERSONS = envint("JARING_OFFLINE_MAX_PERSONS", 5000)
# Registrations and enrolments of an outreach event's attendees this many days after it count as its
# results (decision 0040).
JARING_OUTREACH_ATTRIBUTION_DAYS = envint("JARING_OUTREACH_ATTRIBUTION_DAYS", 90)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jaring.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["jaring.accounts.drf.HasCapability"],
    "DEFAULT_PAGINATION_CLASS": "jaring.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "jaring.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jaring API",
    "DESCRIPTION": "Registry and coverage of vulnerable workers under BPJS Ketenagakerjaan.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI served from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and docs views (jaring.api.docs) require a signed-in user themselves.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# --- Jaring --------------------------------------------------------------------------------------
# The deployment's root region (decision 0048): a city ("96.71") or a province ("96") whose cities
# are its tenants. Area-less office users see it whole; a user's areas narrow it to a city or less.
JARING_TENANT_REGION = env("JARING_TENANT_REGION", "96.71")
JARING_OFFICE_NAME = env("JARING_OFFICE_NAME", "Dinas Sosial Kota Sorong")
# Extra regulation parameter files (TOML), separated by commas: they extend or supersede the
# shipped ones by effective date, without a code change (see jaring/rules/params/README.md).
# The coverage dashboard: a default target (an admin's target for the year wins) and when
# opening it refreshes the running month's snapshot (a nightly `jaring reports snapshot` does the rest).
JARING_COVERAGE_TARGET = envint("JARING_COVERAGE_TARGET", 0)
JARING_SNAPSHOT_REFRESH_ON_VIEW = envbool("JARING_SNAPSHOT_REFRESH_ON_VIEW", "true")
JARING_SNAPSHOT_MAX_AGE = envint("JARING_SNAPSHOT_MAX_AGE", 900)
JARING_SNAPSHOT_INLINE_SECONDS = envint("JARING_SNAPSHOT_INLINE_SECONDS", 2)
JARING_RULES_EXTRA = [p.strip() for p in env("JARING_RULES_EXTRA", "").split(",") if p.strip()]
# Who command-line writes act as (`--as USERNAME` or the `system` user, decision 0006); core's own
# commands (backup, restore) reach it through this setting: core imports no app above it (decision 0026).
JARING_CLI_ACTOR = "jaring.accounts.services.cli_actor"

# Logs on stderr: plain text, or with JARING_LOG_FORMAT=json one JSON object a line with the request
# id and user id, and an access line per request (jaring.core.logs, docs/deploy.md).
JARING_LOG_FORMAT = env("JARING_LOG_FORMAT", "text").strip().lower()
LOGGING = logging_config(JARING_LOG_FORMAT, env("LOG_LEVEL", "WARNING"))
