"""Django settings, read from the environment.

Embedded defaults (no DATABASE_URL, no REDIS_URL) run everything on one machine
with SQLite and a file-system Celery broker. Production secrets have no default:
with DEBUG false, SECRET_KEY, ALLOWED_HOSTS and DEPLOYMENT must be set.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from kombu import Queue

from phasetransfer.config.env import (
    ImproperlyConfiguredEnv,
    envbool,
    envint,
    envlist,
    envrequired,
    envstr,
)

BASE_DIR = Path(__file__).resolve().parents[2]  # the repository (this is phasetransfer/config/)
VAR_DIR = Path(envstr("PHASETRANSFER_VAR_DIR") or BASE_DIR / "var")
# Embedded defaults keep their database, broker queue and mail here.
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = envstr("SECRET_KEY") or "insecure-development-key-only-for-debug-mode"
    ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
else:
    SECRET_KEY = envrequired("SECRET_KEY")
    ALLOWED_HOSTS = envlist("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        envrequired("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    # Two factors for everyone who can see more than their own family (docs/security.md).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "phasetransfer",
    "panels",
    "offers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "phasetransfer.core.middleware.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After OTP: sends staff who have not given their second factor to it, and ends idle
    # staff sessions (phasetransfer/security/middleware.py).
    "phasetransfer.security.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "phasetransfer.core.middleware.PrivatePagesMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "phasetransfer.config.urls"
WSGI_APPLICATION = "phasetransfer.config.wsgi.application"
AUTH_USER_MODEL = "phasetransfer.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

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
                "phasetransfer.core.context_processors.service",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL")
# SQLite is shared by the web server and the worker, which write at the same time: wait
# for the lock, take it when a transaction starts, and let readers read while one writes.
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # A SQLite file named by URL (a copy of the demo, say) is shared the same way.
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            # A file, not memory, so a Celery worker started by a test can share it.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
# A Celery worker started by a test must use the test database, whose name
# only the test process knows.
_db_name_override = envstr("PHASETRANSFER_DB_NAME")
if _db_name_override:
    DATABASES["default"]["NAME"] = _db_name_override
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery -----------------------------------------------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Keys hold row ids: two databases sharing one Redis must not share keys.
            "KEY_PREFIX": envstr(
                "CACHE_KEY_PREFIX", f"phasetransfer:{DATABASES['default']['NAME']}"
            ),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # Tasks must finish (or be killed) well inside the time after which Redis
    # hands an unacknowledged task to another worker.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "celery-broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "data_folder_processed": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# One deployment's tasks, on its own queue (tests give each worker a private one).
CELERY_TASK_DEFAULT_QUEUE = envstr("CELERY_QUEUE", "celery")
# Emails have a queue of their own beside it, and a worker started without -Q consumes
# both: thousands of offer-day emails then never hold up the release job queued behind
# them (see phasetransfer.config.celery.route_task).
# Each bound by its own name: two queues sharing a routing key would both get every task.
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name)
    for name in (CELERY_TASK_DEFAULT_QUEUE, f"{CELERY_TASK_DEFAULT_QUEUE}-email")
]
CELERY_TASK_ROUTES = ["phasetransfer.config.celery.route_task"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Staff pages show when the worker last ran a scheduled task.
    "heartbeat": {"task": "phasetransfer.heartbeat", "schedule": 60.0, "args": ["worker"]},
    "flush-outbox": {"task": "phasetransfer.flush_outbox", "schedule": 60.0},
    # Offer day: "release whatever is due and not yet released", never an ETA task.
    "offers-release-due": {"task": "offers.release_due", "schedule": 60.0},
    "offers-render-letters": {"task": "offers.render_letters_due", "schedule": 60.0},
    # Hourly: families silent after an offer become a task for their caseworker (once).
    "offers-no-answer": {"task": "offers.follow_ups_no_answer", "schedule": 3600.0},
    # Hourly; the task acts from 8am London and emails each overdue chaser once a day.
    "chase-consultations": {"task": "phasetransfer.chase_consultations", "schedule": 3600.0},
}

# --- Email ------------------------------------------------------------------
EMAIL_HOST = envstr("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "") or ""
    EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "") or ""
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", default=False)
    EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10, minimum=1)
else:
    # Without an SMTP server, mail is written to files so nothing leaves the machine.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "phase-transfer@example.gov.uk")
# The outbox: seconds to wait after each failed attempt (then give up), and how old a
# worker's claim must be before another worker may take the email over.
EMAIL_BACKOFF_SECONDS = [
    int(s)
    for s in envlist(
        "EMAIL_BACKOFF_SECONDS", ["60", "120", "300", "900", "1800", "3600", "7200", "14400"]
    )
]
EMAIL_STALE_CLAIM_SECONDS = envint("EMAIL_STALE_CLAIM_SECONDS", 600, minimum=1)

# --- GOV.UK Notify (README "GOV.UK Notify") ----------------------------------
# With an API key, every message (email, text, letter) goes through Notify; without one,
# email goes by SMTP (or to files in var/mail/), texts are not sent and letters are
# printed in batches. NOTIFY_BASE_URL points elsewhere for a council's proxy or a test.
NOTIFY_API_KEY = envstr("NOTIFY_API_KEY", "") or ""
NOTIFY_BASE_URL = envstr("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_TIMEOUT_SECONDS = envint("NOTIFY_TIMEOUT_SECONDS", 10, minimum=1)
# One email template with ((subject)) and ((body)); one text template with ((body)).
NOTIFY_TEMPLATE_EMAIL = envstr("NOTIFY_TEMPLATE_EMAIL", "") or ""
NOTIFY_TEMPLATE_SMS = envstr("NOTIFY_TEMPLATE_SMS", "") or ""
# The bearer token the council sets for its delivery-status callback in Notify.
NOTIFY_CALLBACK_TOKEN = envstr("NOTIFY_CALLBACK_TOKEN", "") or ""
NOTIFY_LETTER_POSTAGE = envstr("NOTIFY_LETTER_POSTAGE", "second")
# Which families get offer-day letters through Notify: those with no email ("no-email"),
# or every family as well as the email ("all").
NOTIFY_LETTERS = envstr("NOTIFY_LETTERS", "no-email")
if NOTIFY_LETTERS not in {"no-email", "all"}:
    raise ImproperlyConfiguredEnv(f"NOTIFY_LETTERS={NOTIFY_LETTERS!r}: use no-email or all")
if NOTIFY_API_KEY and not (NOTIFY_TEMPLATE_EMAIL and NOTIFY_TEMPLATE_SMS):
    raise ImproperlyConfiguredEnv(
        "NOTIFY_API_KEY is set: set NOTIFY_TEMPLATE_EMAIL and NOTIFY_TEMPLATE_SMS too"
    )
OFFERS_REDISPATCH_SECONDS = envint("OFFERS_REDISPATCH_SECONDS", 120, minimum=1)
# Days after an offer is released before a family that has not answered is contacted.
OFFERS_NO_ANSWER_DAYS = envint("OFFERS_NO_ANSWER_DAYS", 14, minimum=1)
OFFERS_RENDER_REQUEST_SECONDS = envint("OFFERS_RENDER_REQUEST_SECONDS", 600, minimum=1)
# Only a deployment that says it is production may email real families. Anywhere
# else (a laptop, CI, a staging copy of live data) mail goes only to reserved
# test domains (RFC 2606) unless an allow-list is given: a rehearsal cannot reach a parent.
# With DEBUG false it must be said: a production deploy that forgot it would otherwise run
# as development and silently suppress every family's email.
DEPLOYMENT = envstr("DEPLOYMENT", "development") if DEBUG else envrequired("DEPLOYMENT")
if DEPLOYMENT not in {"production", "staging", "development"}:
    raise ImproperlyConfiguredEnv(
        f"DEPLOYMENT={DEPLOYMENT!r}: use production, staging or development"
    )
EMAIL_RECIPIENT_ALLOWLIST: list[str] = envlist(
    "EMAIL_RECIPIENT_ALLOWLIST",
    []
    if DEPLOYMENT == "production"
    else ["example", "example.com", "example.org", "example.net", "test", "invalid", "localhost"],
)

# --- Passwords, sessions ---------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id at OWASP's baseline (phasetransfer/security/hashers.py says why); the others
# only verify older hashes, which are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "phasetransfer.security.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in lockout (django-axes): per email address and IP address together, so
# an attacker cannot lock a family out from elsewhere, and the answer is the
# same whether or not the address has an account.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "phasetransfer/accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# Only the proxy in front of us may say who the client is.
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    if envbool("TRUST_X_FORWARDED_FOR", default=False)
    else ["REMOTE_ADDR"]
)
AXES_VERBOSE = False
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60 * 8, minimum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security headers (production) -----------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if envbool("TRUST_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# --- Two factors, staff sessions, CSP and the access log (docs/security.md) ----
# Everyone who can see more than their own family's data (every role but parent,
# carer and young person) signs in with a password and a TOTP code.
OTP_TOTP_ISSUER = envstr("OTP_TOTP_ISSUER", "Phase transfer")
# A failed code doubles the wait before the next try (1 s, 2 s, 4 s...): after 10
# failures a device waits 17 minutes, so guessing 6 digits is hopeless.
OTP_TOTP_THROTTLE_FACTOR = 1
# Staff sessions end after this long without a request, and when the browser closes;
# families keep SESSION_COOKIE_AGE (they fill in a long form at home, on a shared device
# less often than an office). See phasetransfer/security/middleware.py.
STAFF_SESSION_IDLE_SECONDS = envint("STAFF_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
# Demo only: staff accounts of this reserved (RFC 2606) domain get a fixed, documented
# TOTP secret, and the code page shows the current code. Never outside DEBUG, never in
# production, and never for any other address (phasetransfer/security/two_factor.py).
OTP_DEMO_EMAIL_DOMAIN = (
    envstr("OTP_DEMO_EMAIL_DOMAIN", "kent-demo.example")
    if DEBUG and DEPLOYMENT != "production"
    else ""
)
# Who opened which case is kept this many days unless the round says otherwise
# (AuditRetention; `manage.py prune_audit`). Two years covers a tribunal appeal's life.
AUDIT_ACCESS_RETENTION_DAYS = envint("AUDIT_ACCESS_RETENTION_DAYS", 730, minimum=1)
# No inline script or style without the response's nonce; nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE],
        "style-src": [CSP_SELF, CSP_NONCE],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "frame-ancestors": [CSP_NONE],
        "form-action": [CSP_SELF],
    }
}

# --- Locale -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files (GOV.UK Frontend comes from npm, see Makefile) ------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it even before collectstatic
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "phasetransfer" / "static"]
_govuk_dist = BASE_DIR / "node_modules" / "govuk-frontend" / "dist"
if _govuk_dist.exists():
    STATICFILES_DIRS.append(("govuk-frontend", _govuk_dist))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- REST framework -----------------------------------------------------------
# Integration clients send a bearer token (phasetransfer.api); staff may use their
# session. The bearer scheme comes first so an anonymous call is answered 401 with
# "WWW-Authenticate: Bearer". Each endpoint states the scope it needs.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "phasetransfer.api.authentication.ApiClientAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Phase transfer API",
    "DESCRIPTION": (
        "For the council's case-management system: cohort in; cases, preferences, "
        "decisions and offers out. Integration clients authenticate with a bearer token "
        "limited to scopes; see docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",  # tags by resource: cases, decisions, offers...
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed package, not a CDN: no third party sees who reads the docs.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "phasetransfer.api.schema.add_error_responses",
    ],
}

# --- Logging: operational events only; never a child's or family's details ---
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every rendering step at INFO: noise in worker logs.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Service ------------------------------------------------------------------
SERVICE_NAME = "Phase transfer"
LOCAL_AUTHORITY_NAME = envstr("LOCAL_AUTHORITY_NAME", "Kent County Council")
LOCAL_AUTHORITY_CODE = envstr("LOCAL_AUTHORITY_CODE", "886")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")
MEDIATION_CONTACT = envstr(
    "MEDIATION_CONTACT",
    "the council's independent SEND mediation service (demo: set MEDIATION_CONTACT)",
)
ADVICE_CONTACT = envstr(
    "ADVICE_CONTACT",
    "Information, Advice and Support Kent (IASK), free and impartial, www.iask.org.uk",
)
