"""CourtFlow settings.

Every value comes from the environment and is parsed strictly: a bad value stops the
process at start-up instead of being guessed (see healthchecks' settings for the model).
Defaults are the embedded ones: a SQLite file and kombu's filesystem broker, so a fresh
clone runs without any server. Production sets DATABASE_URL and CELERY_BROKER_URL.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("COURTFLOW_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()


def _secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the content of the file named by NAME_FILE (Docker secrets)."""
    file_name = env.str(f"{name}_FILE", default="")
    if file_name:
        return Path(file_name).read_text().strip()
    return env.str(name, default=default)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, default: bool) -> bool:
    """A strict boolean: anything but the usual spellings stops the process."""
    raw = env.str(name, default="1" if default else "0").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no), not {raw!r}.")


DEBUG = _bool("DEBUG", default=False)

# The key is the first line of SECRET_KEY (or of the file SECRET_KEY_FILE names); older keys may
# follow on the next lines. Those become SECRET_KEY_FALLBACKS: sessions and password-reset links
# signed with an old key stay valid while a new one is rolled out (docs/operations.md).
_keys = [line.strip() for line in (_secret("SECRET_KEY", default="") or "").splitlines() if line.strip()]
SECRET_KEY = _keys[0] if _keys else ""
SECRET_KEY_FALLBACKS = _keys[1:]
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "common",
    "jobs",
    "cases",
    "limits",
    "alerts",
    "reports",
    "simple_history",
    "audit",
]
# The audit trail is a record, not an editing tool: no "revert to this version" in the admin.
SIMPLE_HISTORY_REVERT_DISABLED = True

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy and Cache-Control: no-store on everything but static files.
    "courtflow.headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "courtflow.middleware.UserLanguageMiddleware",
    "courtflow.security.IntegrationApiOnlyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "courtflow.middleware.DatabaseUnavailableMiddleware",
    # Lets the audit trail know who made a change, and from where.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "courtflow.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "courtflow.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "courtflow.wsgi.application"

# --- Database -----------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'courtflow.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Reconnect after a database restart without restarting the app.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parallel test runs (several suites on one machine) pick their own test database.
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_courtflow")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL lets the web server, the worker and beat share the embedded database.
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
else:
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL or SQLite database.")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "cases.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed-login throttling (django-axes, attempts in the database): 5 failures for one user name
# from one address lock that pair out for 30 minutes; a successful login clears the count.
# Keying on the pair, not the user name alone, stops anyone from locking a judge out of their
# account by typing a wrong password on purpose. `manage.py axes_reset_username NAME` unlocks.
AUTHENTICATION_BACKENDS = [
    "courtflow.security.LoginAttemptsBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = _bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False  # no start-up banner on every management command
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "courtflow.security.client_ip"
# Proxies in front of gunicorn that append to X-Forwarded-For (1 behind the TLS proxy).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions live in the database so that the web keeps working when Redis is away.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Language and time ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language a person picks in the header is kept for a year on that computer and, once signed
# in, on their account (User.language), so that it follows them to any computer.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
# Collected static files belong to the installed code, not to the data: the image collects them
# outside COURTFLOW_VAR_DIR, whose volume would otherwise keep an old release's files.
STATIC_ROOT = Path(env.str("COURTFLOW_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Source maps (14 MB of the API docs' bundles) are for developers' tools, not browsers' page loads:
# not worth compressing twice over at every image build.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# The import page keeps an uploaded file between its preview and its import; the daily cleanup
# (cases.import_uploads) deletes those older than this, previews nobody imported or cancelled.
IMPORT_UPLOAD_MAX_AGE_HOURS = env.int("IMPORT_UPLOAD_MAX_AGE_HOURS", default=24)
if IMPORT_UPLOAD_MAX_AGE_HOURS < 1:
    raise ImproperlyConfigured("IMPORT_UPLOAD_MAX_AGE_HOURS must be 1 or more (hours).")

# A draft bulletin's PDF is rendered on the fly when downloaded (WeasyPrint: about 5 ms of CPU a
# case, in the web process). Drafts of more cases than this are not: the request would take too long.
# The published PDF is rendered in the background and stored, whatever its size.
BULLETIN_DRAFT_PDF_MAX_CASES = env.int("BULLETIN_DRAFT_PDF_MAX_CASES", default=500)
# The bulletin's PDF is rendered in parts of this many cases (WeasyPrint holds a part's layout in
# memory: a process rendering parts of 500 peaks at about 130 MB), a list of more than one part by
# up to BULLETIN_PDF_PROCESSES worker processes at once (reports.pdf; default: one per CPU this
# process may run on).
BULLETIN_PDF_CHUNK_ROWS = env.int("BULLETIN_PDF_CHUNK_ROWS", default=500)
BULLETIN_PDF_PROCESSES = env.int("BULLETIN_PDF_PROCESSES", default=len(os.sched_getaffinity(0)))
if BULLETIN_PDF_CHUNK_ROWS < 1 or BULLETIN_PDF_PROCESSES < 1:
    raise ImproperlyConfigured("BULLETIN_PDF_CHUNK_ROWS and BULLETIN_PDF_PROCESSES must be 1 or more.")

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="courtflow@localhost")

# --- Security (production values unless DEBUG) ------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = _bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# The TLS proxy redirects http:// too; Django redirecting as well covers a misrouted request.
# /healthz stays reachable over plain HTTP for the container health check and monitors.
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # An intranet host name (courtflow.court.local) cannot go on the browsers' preload list.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # isoformat(): YYYY-MM-DD, zero-padded even for years before 1000 (strftime would write "607-10-06").
    "DATE_FORMAT": "iso-8601",
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
    # Service ValidationErrors become 400s, oversized bodies 413s (common/api.py).
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "common.api.SizeLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Token (integration) requests per user, e.g. "3000/minute"; empty turns throttling off.
    "DEFAULT_THROTTLE_CLASSES": ["common.api.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_TOKEN_THROTTLE_RATE", default="3000/minute") or None},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CourtFlow API",
    "DESCRIPTION": "Case-flow tracking of a county court: cases, alerts, clearance plans, "
    "weekly dispatches and monthly bulletins.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cases.api.schema.add_error_responses",
    ],
    # One name per choice set where several fields share a name ("level", "status").
    "ENUM_NAME_OVERRIDES": {
        "AgingLevelEnum": "cases.api.schema.AGING_LEVEL_CHOICES",
        "AlertLevelEnum": "alerts.api.views.ALERT_LEVEL_CHOICES",
        "CaseStatusEnum": "cases.models.CaseStatus",
        "PlanStatusEnum": "alerts.models.PlanStatus",
        "BulletinStatusEnum": "reports.models.BulletinStatus",
    },
}

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_ACKS_LATE = False  # set per task: only idempotent tasks ack late
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker" / "queue"
    _processed_dir = VAR_DIR / "broker" / "processed"
    _control_dir = VAR_DIR / "broker" / "control"
    for _d in (_queue_dir, _processed_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than the longest task time limit, so a late-acked task is not redelivered
        # while it still runs.
        "visibility_timeout": CELERY_TASK_TIME_LIMIT + 15 * 60,
        # Short, so a page that queues a job answers quickly while Redis is away.
        "socket_connect_timeout": 3,
    }
else:
    raise ImproperlyConfigured("CELERY_BROKER_URL must be filesystem:// or redis://…")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each step of each page at INFO: thousands of lines per bulletin PDF.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

# --- Job schedules ----------------------------------------------------------------------
# Each job's default beat schedule is declared with the job, by the app that owns it (`<app>/jobs.py`,
# jobs/registry.py); `manage.py install_schedules` writes them into django-celery-beat's tables (where
# the admin can then edit them). An entry's cron can be overridden by an environment variable
# (COURTFLOW_SCHEDULE_<ENTRY>, e.g. COURTFLOW_SCHEDULE_TRACK_DAILY="0 6 * * *" for the entry
# "track-daily") or switched off with the value "off". Times are Asia/Shanghai. A variable naming no
# declared entry is reported by `manage.py check` (jobs/checks.py).

SCHEDULE_VARIABLE_PREFIX = "COURTFLOW_SCHEDULE_"


def _schedule_overrides() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in sorted(os.environ):
        if not name.startswith(SCHEDULE_VARIABLE_PREFIX):
            continue
        value = env.str(name).strip()
        if value.lower() == "off":
            out[name] = None
        elif len(value.split()) == 5:
            out[name] = value
        else:
            raise ImproperlyConfigured(f"{name} must be a 5-field cron expression or 'off'.")
    return out


COURTFLOW_SCHEDULE_OVERRIDES = _schedule_overrides()
