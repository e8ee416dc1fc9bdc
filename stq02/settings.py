"""STQ02 settings.

Two modes share this one file:

* embedded (no variables set): SQLite in ``var/``, Celery tasks run eagerly in
  the web process, DEBUG on. A newcomer needs nothing but Python.
* production (``DEBUG=0``): PostgreSQL from DATABASE_URL, Redis from REDIS_URL
  for the Celery broker, results and the shared cache, SECRET_KEY from the
  environment, secure cookies and HSTS. Missing pieces stop the start-up.

Every variable is listed in README.md, "Settings".
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from stq02.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("STQ02_VAR_DIR", str(BASE_DIR / "var")))

DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
SECRET_KEY = env_str("SECRET_KEY")
DEBUG = env_bool("DEBUG", default=SECRET_KEY is None)
PRODUCTION = not DEBUG

if PRODUCTION:
    missing = [
        name
        for name, value in [
            ("SECRET_KEY", SECRET_KEY),
            ("DATABASE_URL", DATABASE_URL),
            ("REDIS_URL", REDIS_URL),
        ]
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"production mode (DEBUG=0) needs {', '.join(missing)}")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production")
else:
    # A development key: never used when DEBUG is off (checked above).
    SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-" + "x" * 40

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "simple_history",
    "stq02",
    "enterprises",
    "declarations",
    "integrations",
    "risk",
    "audits",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "stq02.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "stq02.urls"
WSGI_APPLICATION = "stq02.wsgi.application"
ASGI_APPLICATION = "stq02.asgi.application"
AUTH_USER_MODEL = "stq02.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "django.template.context_processors.i18n",
                "stq02.context_processors.navigation",
            ],
        },
    },
]

# Database -------------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0)
        )
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # JIT compilation cost more than it saved on the short aggregate queries
        # of the pages (62 ms compiling one enterprise-page query).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "stq02.sqlite3",
            # A file, not memory, for the test database too: the worker test's
            # separate Celery process must see what the test wrote. One file per
            # test run, so that parallel runs do not share it.
            "TEST": {"NAME": VAR_DIR / f"test-{os.getpid()}.sqlite3"},
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: shared by every web and worker process in production (login throttling
# counts failures across machines), local memory in the embedded mode.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "stq02",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Passwords ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900, minimum=1)

# Language and time ------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# Static and uploaded files ----------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Case evidence and generated documents live outside the web root and are served
# only through views that check the user's unit (see audits.views).
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# In development WhiteNoise reads the apps' static folders directly (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Security ----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# E-mail (deadline alerts) ----------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "stq02@localhost")

# REST API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "stq02.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["stq02.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "stq02.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "30/minute"),
        "user": env_str("API_THROTTLE_USER", "600/minute"),
    },
    "EXCEPTION_HANDLER": "stq02.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "STQ02 API",
    "DESCRIPTION": "Enterprise information and risk management for post-clearance audit.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a field called "status"; each gets its own enum name.
    "ENUM_NAME_OVERRIDES": {
        "EnterpriseStatusEnum": "enterprises.models.Enterprise.Status",
        "ImportBatchStatusEnum": "integrations.models.ImportBatch.Status",
    },
}

# Celery --------------------------------------------------------------------------
# Without Redis the tasks run in the calling process (embedded mode); with it a
# pool of workers on any number of machines takes them from the shared broker.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", REDIS_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies goes back to the queue
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 6 * 3600, minimum=60)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker in a folder, for a machine with neither Redis nor RabbitMQ: the
    # worker test falls back to it; production always uses Redis.
    _queue_dir = Path(env_str("CELERY_FILESYSTEM_DIR", str(VAR_DIR / "celery-queue")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
    }

# Integrations ------------------------------------------------------------------------
# Where outbound messages to the clearance system (non-compliant declarants) go;
# while unset they wait in the outbox, marked with the reason.
CLEARANCE_OUTBOUND_URL = env_str("CLEARANCE_OUTBOUND_URL")
# HTTP sources pulled by beat every 15 minutes; a source without a URL is skipped.
INGEST_PULL_URLS = {
    source: env_str(f"INGEST_PULL_{source.upper().replace('-', '_')}_URL")
    for source in ("vnaccs-http", "vcis-http", "registry-http", "tax-debt-http")
}
# VNACCS CSV files are checked a column at a time with Arrow (integrations/columnar.py);
# 0 sends them through the row path like every other format.
# Enterprises with at least this many current declarations get their page figures
# kept in summary tables (declarations/summaries.py); smaller ones are aggregated
# from their declarations when the page is asked for.
ENTERPRISE_SUMMARY_THRESHOLD = env_int("ENTERPRISE_SUMMARY_THRESHOLD", 5000, minimum=0)
INGEST_COLUMNAR = env_bool("INGEST_COLUMNAR", True)
# Chunks of one such file written at the same time, each by its own connection
# (PostgreSQL). One per core of the database server is a good start.
INGEST_WRITERS = env_int("INGEST_WRITERS", 2)

# Domain settings -------------------------------------------------------------------
# Rules that follow the law are data an administrator can change; these are the
# few numbers that are deployment choices.
RISK_RANDOM_SHARE = env_float("RISK_RANDOM_SHARE", 0.05, minimum=0.0, maximum=0.5)
AUDIT_ONCE_A_YEAR_RULE = env_bool("AUDIT_ONCE_A_YEAR_RULE", True)
# Share of the model in an enterprise's combined score (the rest: criteria).
RISK_MODEL_WEIGHT = env_float("RISK_MODEL_WEIGHT", 0.5, minimum=0.0, maximum=1.0)
# Threads for model fitting and prediction; one is fastest on a shared host.
RISK_ML_THREADS = env_int("RISK_ML_THREADS", 1, minimum=1)

# Logging: operators read counts and decisions, never secrets.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
