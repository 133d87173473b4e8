"""Django settings, read from the environment (see the configuration table in README.md)."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("RACCORDO_HOME", Path.cwd())).resolve()
VAR_DIR = Path(os.environ.get("RACCORDO_VAR", BASE_DIR / "var"))
# var/ holds the database (password hashes, every client), uploads, exchange files and the worker's queue:
# its owner's only. Every Raccordo process loads these settings, so the umask set here makes whatever it
# creates (SQLite files, uploads, run files) 0600 and its folders 0700, whichever code writes them.
os.umask(0o077)
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _owner_only(path: Path, mode: int) -> None:
    """Tighten a file or folder an earlier version created with the default umask (0644 / 0755)."""
    try:
        if path.exists() and path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
            path.chmod(mode)
    except OSError:   # not ours to change (a folder set up by an administrator): leave it as it is
        pass


_owner_only(VAR_DIR, 0o700)
for _name in ("raccordo.sqlite3", "raccordo.sqlite3-wal", "raccordo.sqlite3-shm", "huey.sqlite3"):
    _owner_only(VAR_DIR / _name, 0o600)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # A per-installation key kept under var/ so sessions survive restarts without configuration.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()
# Encrypts the secrets Raccordo must send on (mailbox passwords, PBX and SMS keys: core.secrets). Unset, a key
# is derived from SECRET_KEY; set it (comma-separated Fernet keys, newest first) to keep them apart or rotate.
RACCORDO_SECRETS_KEY = os.environ.get("RACCORDO_SECRETS_KEY", "")

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

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
    "drf_spectacular_sidecar",
    "csp",
    "huey.contrib.djhuey",
    "raccordo.core",
    "raccordo.access",
    "raccordo.parties",
    "raccordo.catalog",
    "raccordo.sales",
    "raccordo.activities",
    "raccordo.comms",
    "raccordo.sms",
    "raccordo.mail",
    "raccordo.segments",
    "raccordo.campaigns",
    "raccordo.exchange",
    "raccordo.exchange.onec",
    "raccordo.exchange.enterprisedata",
    "raccordo.staff",
    "raccordo.reports",
    "raccordo.webhooks",
    "raccordo.documents",
    "raccordo.processes",
    "raccordo.telephony",
    "raccordo.operations",
    "raccordo.demo",
    "raccordo.web",
]

MIDDLEWARE = [
    # First: counts and times every request, whatever answers it (operations.metrics).
    "raccordo.operations.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "raccordo.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "raccordo.core.middleware.QueryStringMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "raccordo.access.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "raccordo.core.middleware.ChangeContextMiddleware",
]

ROOT_URLCONF = "raccordo.urls"
WSGI_APPLICATION = "raccordo.wsgi.application"
AUTH_USER_MODEL = "access.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True   # Django 6 behaviour now: a bare "example.com" becomes https://

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "raccordo.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database: SQLite in WAL mode by default, PostgreSQL when DATABASE_URL is set.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if os.environ.get("RACCORDO_TEST_DB_NAME"):
        # Lets two test runs share one server without dropping each other's test database.
        DATABASES["default"]["TEST"] = {"NAME": os.environ["RACCORDO_TEST_DB_NAME"]}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "raccordo.sqlite3"),
            "OPTIONS": {
                # WAL lets readers go on while one writer writes; IMMEDIATE makes a writer wait for
                # the lock at BEGIN (up to the timeout) instead of failing half-way with "locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            # Tests use Django's shared in-memory database: fast, and parallel runs never collide.
        }
    }

# --- Background work: Huey on SQLite by default, on Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Names this installation's queue and prefixes its keys in Redis, so several installations (or a test run
# beside a production one) can share one Redis server without taking each other's tasks or counters.
INSTANCE_NAME = os.environ.get("RACCORDO_INSTANCE", "raccordo").strip() or "raccordo"
HUEY = {
    "name": INSTANCE_NAME,
    "immediate": env_bool("HUEY_IMMEDIATE", False),
    "consumer": {"workers": 2, "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "raccordo.core.queue.RaccordoRedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "raccordo.core.queue.RaccordoSqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")})

AUTH_PASSWORD_VALIDATORS = [
    # A password like the username or the e-mail, or digits only (a phone number, a date), is the first guess.
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italian")), ("ru", _("Russian"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)   # whitenoise warns on every request when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed copies after `collectstatic` (which `raccordo serve` runs), served by WhiteNoise with a
    # far-future Cache-Control; the plain names from the apps' folders until then (core.staticstorage).
    "staticfiles": {"BACKEND": "raccordo.core.staticstorage.HashedStaticStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# --- Cookies and security headers. `HTTPS=true` when Raccordo is served over HTTPS (behind a proxy that sets
# X-Forwarded-Proto): secure cookies, HSTS and the redirect to HTTPS; `raccordo check --deploy` is then clean.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True   # templates put the token in the page (hx-headers); no script reads the cookie
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if HTTPS:
    # The proxy in front terminates TLS and says so in X-Forwarded-Proto; without it Django would think every
    # request came over plain HTTP and redirect forever.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes and Prometheus call the app servers directly over plain HTTP on the private network.
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Content-Security-Policy (django-csp): scripts, styles, fonts and images come from our own static files only,
# and no inline script runs, so an injected <script> or onclick="" does nothing. Style attributes stay allowed
# (templates and Bootstrap use them for widths); <style> elements do not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Browser features no page of Raccordo uses, refused to any script that might ask for them.
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), payment=(), usb=()")

# --- Sign-in limits (access.throttle): counted in Redis when REDIS_URL is set, else in the database, so
# every server process shares them. Failures per (login, client address) before a lock, the window they are
# counted in, and how long the lock lasts; the 1C exchange login has its own count.
SIGNIN_MAX_FAILURES = int(os.environ.get("RACCORDO_SIGNIN_FAILURES", "5"))
SIGNIN_WINDOW_SECONDS = int(os.environ.get("RACCORDO_SIGNIN_WINDOW", "900"))
SIGNIN_LOCK_SECONDS = int(os.environ.get("RACCORDO_SIGNIN_LOCK", "900"))
ONEC_AUTH_FAILURES = int(os.environ.get("RACCORDO_ONEC_AUTH_FAILURES", "10"))
ONEC_AUTH_WINDOW = int(os.environ.get("RACCORDO_ONEC_AUTH_WINDOW", "600"))
# How many reverse proxies in front of Raccordo append to X-Forwarded-For. 0: the header is ignored and
# the client is REMOTE_ADDR (anything else lets a client choose its own address and dodge the limits).
SIGNIN_KEY_PREFIX = "rc:signin" if INSTANCE_NAME == "raccordo" else f"rc:{INSTANCE_NAME}:signin"
TRUSTED_PROXIES = max(int(os.environ.get("RACCORDO_TRUSTED_PROXIES", "0")), 0)

# --- Cache: API rate limits and other short-lived counters live here (shared by every process when Redis is configured).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "" if INSTANCE_NAME == "raccordo" else INSTANCE_NAME}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "raccordo"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "raccordo.api.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated",
                                   "raccordo.api.authentication.TokenScopePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "raccordo.api.parsers.JSONBodyParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "raccordo.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "raccordo.api.errors.exception_handler",
    # DRF's rate limits read X-Forwarded-For only behind this many proxies (None: REMOTE_ADDR only).
    "NUM_PROXIES": TRUSTED_PROXIES or None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Raccordo API",
    "DESCRIPTION": "REST API of the Raccordo CRM. Every endpoint applies the caller's access policy.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One enum for a mailbox's IMAP and SMTP security (the same choices), not two identical ones.
    "ENUM_NAME_OVERRIDES": {"MailSecurityEnum": "raccordo.mail.models.Security",
                            "WebhookEventEnum": "raccordo.webhooks.models.EventType",
                            "MailingStatusEnum": "raccordo.segments.models.MailingStatus"},
    # The schema lists every operation and field: signed-in users only, unless API_DOCS_PUBLIC opens it.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny" if env_bool("API_DOCS_PUBLIC", False)
                          else "rest_framework.permissions.IsAuthenticated"],
}

# "json": one JSON object per line (time, level, logger, message, request id, process), for a log collector;
# "text" (default): plain lines for a terminal.
LOG_FORMAT = os.environ.get("RACCORDO_LOG_FORMAT", "text").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # 1C session tokens travel in URLs (`sessid=`): they are cut out of every line, the access log included.
    "filters": {"secrets": {"()": "raccordo.core.logfilters.RedactSecrets"},
                "request_id": {"()": "raccordo.core.logformat.RequestIdFilter"}},
    "formatters": {"server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}",
                              "style": "{"},
                   "json": {"()": "raccordo.core.logformat.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["secrets", "request_id"],
                             **({"formatter": "json"} if LOG_FORMAT == "json" else {})},
                 "server": {"class": "logging.StreamHandler", "filters": ["secrets"], "formatter": "server"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Huey's consumer adds a handler of its own; propagating too would print every line twice.
    "loggers": {"django.db.backends": {"level": "INFO"},
                "huey": {"level": "INFO", "propagate": False,
                         **({"handlers": ["console"]} if LOG_FORMAT == "json" else {})},
                "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False}},
}

# Currencies Raccordo prices and invoices in by default (any ISO 4217 code is accepted).
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "RUB")

# --- Outgoing e-mail (invoices, reminders): SMTP, configured from the environment.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "raccordo@localhost")
# Mass e-mail (segments): the address unsubscribe links in a mailing point to, the sending rate, and after how
# many bounces an address is no longer written to.
PUBLIC_URL = os.environ.get("RACCORDO_PUBLIC_URL", "http://localhost:8000").rstrip("/")
MAILING_RATE_PER_MINUTE = max(int(os.environ.get("RACCORDO_MAILING_RATE", "60")), 1)
MAILING_BOUNCE_LIMIT = max(int(os.environ.get("RACCORDO_MAILING_BOUNCE_LIMIT", "2")), 1)
# Holidays the "holiday" greeting template goes out on, as MM-DD dates separated by commas.
MAILING_HOLIDAYS = [d.strip() for d in os.environ.get("RACCORDO_HOLIDAYS", "01-01,03-08,12-31").split(",") if d.strip()]
# Whether someone configured outgoing mail: only then does the sign-in page offer a password reset by e-mail
# (the defaults point at a local SMTP server that usually is not there).
EMAIL_CONFIGURED = any(name in os.environ for name in ("EMAIL_HOST", "EMAIL_BACKEND"))
PASSWORD_RESET_TIMEOUT = int(os.environ.get("RACCORDO_PASSWORD_RESET_TIMEOUT", str(3 * 24 * 3600)))

# --- Counterparties.
# A counterparty whose INN (+KPP when both have one) another one already has: "warn" shows the match and
# saves when the user confirms, "block" refuses (an administrator merges the two instead).
DUPLICATE_CHECK = os.environ.get("RACCORDO_DUPLICATE_CHECK", "warn").strip().lower()
if DUPLICATE_CHECK not in ("warn", "block"):
    DUPLICATE_CHECK = "warn"

# --- Sales rules.
# Issuing an invoice whose lines exceed the available stock (quantity - reserved, all warehouses):
# "warn" issues it and says so, "block" refuses, "off" does not look.
STOCK_CHECK = os.environ.get("RACCORDO_STOCK_CHECK", "warn").strip().lower()
if STOCK_CHECK not in ("warn", "block", "off"):
    STOCK_CHECK = "warn"
# Reminders for the responsible manager of an unpaid invoice, in days relative to its due date
# (negative: before, positive: after); empty turns the rule off.
INVOICE_REMINDER_DAYS = [int(d) for d in os.environ.get("RACCORDO_INVOICE_REMINDER_DAYS", "-1,3").split(",")
                         if d.strip().lstrip("-").isdigit()]

# --- Reports: figures cached in the database per access scope (raccordo.reports), refreshed by the worker.
# Seconds the current year's figures (KPI report, dashboard receivables) stay fresh; 0 turns the cache off.
REPORT_CACHE_SECONDS = int(os.environ.get("RACCORDO_REPORT_CACHE_SECONDS", "300"))
# ...and a past year's KPI report.
REPORT_CACHE_PAST_SECONDS = int(os.environ.get("RACCORDO_REPORT_CACHE_PAST_SECONDS", "86400"))

# --- Operations (raccordo.operations): backups, health, metrics.
# Where `raccordo backup` and the nightly backup write, how many backups they keep, and the hour (server time,
# TIME_ZONE) the worker makes one; an empty hour turns the nightly backup off.
BACKUP_DIR = Path(os.environ.get("RACCORDO_BACKUP_DIR", VAR_DIR / "backups"))
BACKUP_KEEP = max(int(os.environ.get("RACCORDO_BACKUP_KEEP", "7")), 1)
BACKUP_HOUR = os.environ.get("RACCORDO_BACKUP_HOUR", "2").strip()
# Seconds between a worker's heartbeats, and the age after which /health/ready counts a worker as gone.
WORKER_HEARTBEAT_SECONDS = max(int(os.environ.get("RACCORDO_HEARTBEAT_SECONDS", "30")), 1)
WORKER_STALE_SECONDS = int(os.environ.get("RACCORDO_WORKER_STALE_SECONDS", "120"))
# /health/ready fails when the disk holding var/ has less free space than this (MB).
MIN_FREE_MB = int(os.environ.get("RACCORDO_MIN_FREE_MB", "500"))
# The bearer token Prometheus sends to /metrics; unset, the endpoint answers 404.
METRICS_TOKEN = os.environ.get("RACCORDO_METRICS_TOKEN", "")
