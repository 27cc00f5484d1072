"""caregraph settings, read from the environment.

One settings module for every environment: the defaults run the embedded
single-machine setup (SQLite, filesystem Celery broker, console email);
production sets DJANGO_DEBUG=0 and the URLs of real services. `.env.example`
lists every variable.
"""

import importlib.util
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CAREGRAPH_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def demo_secret_key(path: Path) -> str:
    """The demo's own secret key: made once and kept, so sessions outlive a restart."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# `make run` sets CAREGRAPH_DEMO=1: the demo is used by clinicians trying the app,
# so it runs with DEBUG off (no technical error pages), over plain HTTP on this
# machine, with a secret key kept under var/ and static files served by WhiteNoise.
DEMO = env_bool("CAREGRAPH_DEMO", False)
# Where `make run` listens (Procfile.dev); the demo's links in emails point there.
WEB_HOST = os.environ.get("WEB_HOST", "127.0.0.1")
WEB_PORT = os.environ.get("WEB_PORT", "8000")

DEBUG = env_bool("DJANGO_DEBUG", not DEMO)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY and DEMO:
    SECRET_KEY = demo_secret_key(VAR_DIR / "demo-secret-key")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-default"  # noqa: S105
# Keys retired by a rotation, still honoured for what they signed (sessions, password
# reset links, the stored recovery codes' hashes), comma-separated.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", "")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
if DEMO and WEB_HOST not in ALLOWED_HOSTS and WEB_HOST not in {"0.0.0.0", "::"}:  # noqa: S104
    ALLOWED_HOSTS.append(WEB_HOST)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # django.contrib.admin, with a home page that lists late jobs and other warnings.
    "apps.core.admin_site.CaregraphAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "guardian",
    "axes",
    # Second factors: TOTP authenticator apps and one-time recovery codes (apps.accounts.mfa).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "apps.core",
    "apps.accounts",
    "apps.teams",
    "apps.patients",
    "apps.tasks",
    "apps.careplans",
    "apps.transitions",
    "apps.referrals",
    "apps.huddles",
    "apps.interop",
    "apps.fhir",
    "apps.measures",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.accounts.middleware.SecondFactorMiddleware",
    "apps.core.middleware.RequestContextMiddleware",
    "apps.core.request_shape.RequestShapeMiddleware",
    "apps.accounts.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "caregraph.urls"
WSGI_APPLICATION = "caregraph.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'caregraph.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if os.environ.get("TEST_DATABASE_NAME"):
    # Lets several test runs share one PostgreSQL server without colliding.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
_prepare_threshold = int(os.environ.get("DATABASE_PREPARE_THRESHOLD", "0"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
elif _prepare_threshold > 0:
    # Server-side parameters, and a statement a connection runs this often is
    # prepared: PostgreSQL stops parsing and planning it each time. It pays
    # for many short, repeated statements (the MLLP listener turns it on);
    # elsewhere leave it off, as a plan made once can suit a time-range
    # query (the sweeps' "due by now") badly. Not behind transaction pooling.
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        "prepare_threshold": _prepare_threshold,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate-limit counters (apps.core.throttles) must be shared by every web process:
# Redis when there is one; the embedded default keeps them per process.
_cache_url = os.environ.get("CACHE_URL", os.environ.get("REDIS_URL", ""))
if _cache_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": "caregraph",
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.AccountBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
# `/`, which sends each person where their work is (apps.tasks.landing).
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Continuity indices (UPC, COC, SECON) say little about a handful of visits: below
# this many encounters a patient's index is not shown (apps.measures.continuity).
MEASURES_CONTINUITY_MIN_VISITS = int(os.environ.get("MEASURES_CONTINUITY_MIN_VISITS", "3"))

# The audit trail on PostgreSQL: monthly partitions kept this many months ahead
# (manage.py audit_partitions, run after migrate), and how long a month stays in
# the live trail before manage.py audit_archive --due moves it to a file.
AUDIT_PARTITIONS_AHEAD = int(os.environ.get("AUDIT_PARTITIONS_AHEAD", "12"))
AUDIT_RETENTION_YEARS = int(os.environ.get("AUDIT_RETENTION_YEARS", "6"))

# Sessions end after a quiet spell (minutes); see SessionIdleTimeoutMiddleware.
SESSION_IDLE_TIMEOUT_MINUTES = int(os.environ.get("SESSION_IDLE_TIMEOUT_MINUTES", "15"))

# Second factor (apps.accounts.mfa): the name authenticator apps show for the account.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "caregraph")
# API tokens (apps.accounts.tokens): a person's token lives at most API_TOKEN_DAYS;
# an interface account's may live up to API_TOKEN_INTERFACE_MAX_DAYS.
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))
API_TOKEN_INTERFACE_MAX_DAYS = int(os.environ.get("API_TOKEN_INTERFACE_MAX_DAYS", "730"))
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login throttling (django-axes): lock a username+address after 5 failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
# Locks the pair, never the username alone, so failures from one address cannot
# lock a user out everywhere; the address is the one the audit trail records.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "apps.core.client_address.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Security headers; the TLS-only ones switch on with DEBUG off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = False
# The demo is plain HTTP on this machine: no HTTPS redirect, secure cookies or HSTS.
_TLS = not DEBUG and not DEMO
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", _TLS)
# The container health check asks over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", _TLS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000" if _TLS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _TLS
SECURE_HSTS_PRELOAD = _TLS
# How many proxies of ours stand in front of the app: the client address is the
# Nth entry from the right of X-Forwarded-For (0: the connection's own address).
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)

LANGUAGE_CODE = "en-us"
# Staff work in English; the patient's own copy of the plan is also written in
# these languages (apps/patients/languages.py picks one per patient).
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("CAREGRAPH_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEMO
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# With DEBUG off runserver serves no static files: in the demo WhiteNoise serves
# them straight from the app's folders, with no collectstatic step.
WHITENOISE_USE_FINDERS = DEMO

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "caregraph <noreply@localhost>")

REST_FRAMEWORK = {
    # Token first: DRF answers an unauthenticated call with the first class's
    # challenge, so it is a 401 with `WWW-Authenticate: Token` rather than a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Over a rate: 429 with Retry-After (apps.core.throttles). "user" counts a
    # person's calls, "interface" an interface account's (an ADT feed), "anon"
    # unauthenticated calls per address; the others count the writes of a view
    # whose `throttle_scope` names them, per person.
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttles.PersonRateThrottle",
        "apps.core.throttles.AddressRateThrottle",
        "apps.core.throttles.WriteRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("THROTTLE_USER_RATE", "600/min"),
        "interface": os.environ.get("THROTTLE_INTERFACE_RATE", "30000/min"),
        "fhir_client": os.environ.get("THROTTLE_FHIR_CLIENT_RATE", "6000/min"),
        "anon": os.environ.get("THROTTLE_ANON_RATE", "120/min"),
        "login": os.environ.get("THROTTLE_LOGIN_RATE", "30/min"),
        "break_glass": os.environ.get("THROTTLE_BREAK_GLASS_RATE", "10/hour"),
        "patient_create": os.environ.get("THROTTLE_PATIENT_CREATE_RATE", "120/hour"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "caregraph API",
    "DESCRIPTION": "Care coordination for patients with complex needs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's refusals (400/401/403/404/409/415/429) are published too.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api_schema.document_refusals",
    ],
    # Swagger UI is served from the vendored sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Model serializers name their choice fields' enums after the field; where several
    # models share a field name ("status") or a choice set (settings of care), name them.
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "apps.tasks.models.TaskStatus",
        "GoalStatusEnum": "apps.careplans.models.GoalStatus",
        "FollowUpStatusEnum": "apps.transitions.models.FollowUpStatus",
        "ReconciliationStatusEnum": "apps.transitions.models.ReconciliationStatus",
        "CareSettingEnum": "apps.transitions.models.Setting",
    },
}

# Guardian: object permissions are granted to per-team role groups only.
ANONYMOUS_USER_NAME = None

# Celery: the embedded default uses kombu's filesystem transport so `make run`
# needs no broker server; production points CELERY_BROKER_URL at Redis.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
# Seconds before Redis hands a job that a dead worker took to another worker.
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "1800"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    # kombu expects its folders to exist; a fresh checkout has none.
    for _folder in ("out", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Longer than any task runs, so a message is redelivered only after its
    # worker really died (acks_late + reject_on_worker_lost). Workers look for
    # such messages every 10 s (kombu's default scan is ten times rarer), so a
    # lost delivery waits the visibility timeout and little more. Set on
    # purpose (README, .env.example): the longest job (the nightly complexity
    # recompute) takes minutes, and a dead worker's jobs wait this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
# Records the beat's ticks and the jobs it schedules (apps.core.jobruns, check_jobs).
CELERY_BEAT_SCHEDULER = "apps.core.beat:RecordingScheduler"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Each app appends its own periodic jobs below, one entry per job. Each job's
    # body is wrapped in apps.core.jobruns.recorded_job; check_jobs reports one
    # that has not succeeded within twice its interval here.
    "core-heartbeat": {
        # Taken by any worker: its age is how long no worker has taken work.
        "task": "apps.core.workers.heartbeat_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    "tasks-reminder-sweep": {
        "task": "apps.tasks.workers.task_reminder_sweep_task",
        "schedule": timedelta(minutes=5),
    },
    "tasks-notification-digest": {
        "task": "apps.tasks.workers.notification_digest_task",
        "schedule": crontab(hour=7, minute=0),
    },
    "patients-complexity-nightly": {
        "task": "apps.patients.workers.complexity_recompute_all_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "transitions-follow-up-sweep": {
        "task": "apps.transitions.workers.transitions_sweep_task",
        "schedule": timedelta(minutes=5),
    },
    "referrals-reminder-sweep": {
        "task": "apps.referrals.workers.referral_reminder_sweep_task",
        "schedule": timedelta(minutes=5),
    },
    "huddles-series-extend": {
        "task": "apps.huddles.workers.huddle_series_extend_task",
        "schedule": crontab(hour=1, minute=15),
    },
    "fhir-export-cleanup": {
        # Bulk export files past FHIR_EXPORT_TTL_HOURS are deleted even when no new
        # export runs (each export also cleans up before it starts).
        "task": "apps.fhir.workers.fhir_export_cleanup_task",
        "schedule": timedelta(hours=1),
    },
    "measures-snapshots-nightly": {
        # After the complexity recompute (02:30), so the night's flags are in.
        "task": "apps.measures.workers.measure_snapshots_nightly_task",
        "schedule": crontab(hour=3, minute=30),
    },
}

# FHIR bulk $export: where the job writes its NDJSON files, and how long they are kept.
FHIR_EXPORT_DIR = Path(os.environ.get("FHIR_EXPORT_DIR", VAR_DIR / "fhir-exports"))
FHIR_EXPORT_TTL_HOURS = int(os.environ.get("FHIR_EXPORT_TTL_HOURS", "24"))

# python-hl7 names its logger after its file's path.
_HL7_UNESCAPE_LOGGER = getattr(importlib.util.find_spec("hl7.util"), "origin", None) or "hl7.util"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request logs can carry query strings (searches by name): keep them quiet.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # python-hl7 logs a field it cannot unescape with the field's text (a name, an
        # identifier): intake answers such a message itself, so its logger stays quiet.
        _HL7_UNESCAPE_LOGGER: {"level": "CRITICAL", "propagate": False},
    },
}

# The largest HL7 v2 payload taken (one HTTP body or one MLLP frame, a batch
# included), in bytes. Over it: HTTP 413, or an AR ACK and the MLLP connection
# closed; a message is never cut short and then parsed.
HL7_MAX_MESSAGE_BYTES = int(os.environ.get("HL7_MAX_MESSAGE_BYTES", str(1024 * 1024)))
# FHIR import: a Bundle file is read whole up to this size (larger imports come as NDJSON,
# read line by line); one resource over the second limit is refused unread.
FHIR_IMPORT_MAX_BUNDLE_BYTES = int(
    os.environ.get("FHIR_IMPORT_MAX_BUNDLE_BYTES", str(50 * 1024 * 1024))
)
# Uploaded FHIR files wait here for the import worker and are deleted when it ends.
FHIR_IMPORT_DIR = Path(os.environ.get("FHIR_IMPORT_DIR", VAR_DIR / "fhir-imports"))
FHIR_IMPORT_MAX_RESOURCE_BYTES = int(
    os.environ.get("FHIR_IMPORT_MAX_RESOURCE_BYTES", str(1024 * 1024))
)
# Contention inside intake (a deadlock, a serialization failure, a lock held
# longer than HL7_LOCK_TIMEOUT_MS) is retried this many times in all; a message
# that still cannot be processed is stored and answered AR so the sender resends.
HL7_CONTENTION_ATTEMPTS = int(os.environ.get("HL7_CONTENTION_ATTEMPTS", "3"))
HL7_LOCK_TIMEOUT_MS = int(os.environ.get("HL7_LOCK_TIMEOUT_MS", "5000"))
# An MLLP connection silent this long is closed (engines reconnect on their next message).
MLLP_IDLE_TIMEOUT_SECONDS = int(os.environ.get("MLLP_IDLE_TIMEOUT_SECONDS", "300"))

# Emergency access to a patient outside one's teams lasts this long (minutes).
BREAK_GLASS_MINUTES = int(os.environ.get("BREAK_GLASS_MINUTES", "60"))
# A break-glass access nobody has reviewed after this many days is flagged in the queue.
BREAK_GLASS_REVIEW_DAYS = int(os.environ.get("BREAK_GLASS_REVIEW_DAYS", "7"))

# Absolute address of the app, for links in emails (e.g. https://caregraph.example.org).
# Unset, it is where `make run` listens (WEB_HOST, WEB_PORT).
_link_host = "localhost" if WEB_HOST in {"0.0.0.0", "::", ""} else WEB_HOST  # noqa: S104
if ":" in _link_host and not _link_host.startswith("["):
    _link_host = f"[{_link_host}]"
CAREGRAPH_BASE_URL = (
    os.environ.get("CAREGRAPH_BASE_URL") or f"http://{_link_host}:{WEB_PORT}"
).rstrip("/")
