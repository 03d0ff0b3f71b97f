"""Django settings; every value that varies by machine comes from core.config."""

import re
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from kartoteka.core import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use KARTOTEKA_SECRET_KEY, else a key generated once and kept in the data directory."""
    from_env = config.env_str("KARTOTEKA_SECRET_KEY", "")
    if from_env:
        return from_env
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = config.env_bool("KARTOTEKA_DEBUG", False)
# Only this machine by default; `*` (any host) only when the variable says so.
ALLOWED_HOSTS = config.env_list("KARTOTEKA_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = config.env_list("KARTOTEKA_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves Swagger UI's files itself, so /api/docs works offline
    "axes",
    "kartoteka.core",
    "kartoteka.accounts",
    "kartoteka.contacts",
    "kartoteka.activity",
    "kartoteka.segments",
    "kartoteka.transfer",
    "kartoteka.duplicates",
    "kartoteka.privacy",
    "kartoteka.consents",
    "kartoteka.mailing",
    "kartoteka.tracking",
    "kartoteka.commerce",
    "kartoteka.deals",
    "kartoteka.companies",
    "kartoteka.webforms",
    "kartoteka.members",
    "kartoteka.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kartoteka.web.middleware.NotFoundAsPage404",
    "kartoteka.web.middleware.RefuseUnstorableInput",
    "axes.middleware.AxesMiddleware",  # last: it turns a locked sign-in into the lock page
]

ROOT_URLCONF = "kartoteka.urls"
WSGI_APPLICATION = "kartoteka.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{DATA_DIR / 'kartoteka.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(config.env_str("DATABASE_URL", _default_sqlite))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; IMMEDIATE avoids lock upgrades. No
    # memory map: with processes opening and closing connections side by side (web and worker),
    # mapped reads failed with SQLITE_IOERR_SHORT_READ and saw "malformed" pages on this
    # project's machines (docs/benchmarks.md, measurements behind the code's choices).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        " PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 60

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:contact-list"
LOGOUT_REDIRECT_URL = "web:login"

# Axes first: it refuses a locked account or address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins are counted per account and per address (and failed API tokens per address,
# in the throttle cache); at the limit, both are refused until the lock runs out or an admin
# unlocks them.
KARTOTEKA_SIGN_IN_FAILURE_LIMIT = config.env_int("KARTOTEKA_SIGN_IN_FAILURE_LIMIT", 10, minimum=1)
KARTOTEKA_SIGN_IN_LOCK_MINUTES = config.env_int("KARTOTEKA_SIGN_IN_LOCK_MINUTES", 15, minimum=1)
# How many reverse proxies in front of Kartoteka append to X-Forwarded-For: the client's
# address is read that many entries from the right; 0 means REMOTE_ADDR.
KARTOTEKA_PROXY_COUNT = config.env_int("KARTOTEKA_PROXY_COUNT", 0, minimum=0)
AXES_FAILURE_LIMIT = KARTOTEKA_SIGN_IN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=KARTOTEKA_SIGN_IN_LOCK_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "kartoteka.accounts.views.sign_in_locked"
AXES_CLIENT_IP_CALLABLE = "kartoteka.core.addresses.client_address"
# A success must not wipe the address's count: signing in to one's own account between
# guesses at another's would otherwise reset the guesser's address.
AXES_RESET_ON_SUCCESS = False
# Attempts made while locked are refused without being written: an attack on a locked account
# costs no database writes, and the lock ends a fixed time after the failure that set it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("pl", "Polski")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date and time format per language, day first and 24-hour (see kartoteka/formats).
FORMAT_MODULE_PATH = ["kartoteka.formats"]
TIME_ZONE = config.env_str("KARTOTEKA_TIME_ZONE", "Europe/Madrid")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up until collectstatic fills it
MEDIA_ROOT = DATA_DIR / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Phones typed without a country prefix are read as numbers of this region.
KARTOTEKA_DEFAULT_PHONE_REGION = config.env_str("KARTOTEKA_DEFAULT_PHONE_REGION", "ES")
KARTOTEKA_MAX_UPLOAD_BYTES = config.env_int(
    "KARTOTEKA_MAX_UPLOAD_BYTES", 200 * 1024 * 1024, minimum=1
)

# HTTPS behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto.
KARTOTEKA_HTTPS = config.env_bool("KARTOTEKA_HTTPS", False)
if KARTOTEKA_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = config.env_int("KARTOTEKA_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Every page: scripts and styles only from our own files (no inline script, no eval); style
# attributes stay allowed (tag colours are data). Swagger UI's icons are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"upgrade-insecure-requests": True} if KARTOTEKA_HTTPS else {}),
    }
}

_tasks_backend = config.env_choice("KARTOTEKA_TASKS", "database", {"database", "rq", "immediate"})
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[_tasks_backend],
        "QUEUES": ["default"],
    }
}
if _tasks_backend == "rq":
    INSTALLED_APPS.append("django_rq")  # the RQ backend reads its queues through django-rq
# How often a running worker counts every segment again, so their counts stay current.
KARTOTEKA_SEGMENT_RECOUNT_MINUTES = config.env_int(
    "KARTOTEKA_SEGMENT_RECOUNT_MINUTES", 15, minimum=1
)
# The workspace currency: eCommerce totals are kept in it (ISO 4217 code).
KARTOTEKA_CURRENCY = config.env_str("KARTOTEKA_CURRENCY", "EUR").upper()
if len(KARTOTEKA_CURRENCY) != 3 or not KARTOTEKA_CURRENCY.isalpha():
    raise config.ConfigError(
        f"KARTOTEKA_CURRENCY must be a three-letter ISO 4217 code, got {KARTOTEKA_CURRENCY!r}"
    )
RQ_QUEUES = {"default": {"URL": config.env_str("REDIS_URL", "redis://127.0.0.1:6379/0")}}

# "throttle" counts failed API tokens per address; it must be shared by every web process:
# Redis where the workers use it, else files in the data directory (one machine).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": RQ_QUEUES["default"]["URL"],
        }
        if _tasks_backend == "rq"
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "throttle"),
        }
    ),
}
# django-ratelimit counts public doors' requests in the same shared cache (core.ratelimit).
RATELIMIT_USE_CACHE = "throttle"
# Hits one address may send the tracking collector (several people behind one office router).
KARTOTEKA_TRACKING_RATE = config.env_str("KARTOTEKA_TRACKING_RATE", "600/m")
if not re.fullmatch(r"[1-9][0-9]*/[smhd]", KARTOTEKA_TRACKING_RATE):
    raise ImproperlyConfigured("KARTOTEKA_TRACKING_RATE is a count per s, m, h or d, e.g. 600/m")
# Public forms (/f/{key}): sending faster than this after the page was served is a robot's;
# a page older than the maximum age asks to be reloaded.
KARTOTEKA_FORM_MIN_SECONDS = 3
KARTOTEKA_FORM_MAX_AGE = 24 * 3600
# Submissions one address (IP) and one e-mail address may send the public forms.
KARTOTEKA_FORM_RATE_IP = "20/h"
KARTOTEKA_FORM_RATE_ADDRESS = "5/h"

# Outgoing e-mail: KARTOTEKA_EMAIL_URL picks the way out (console:// prints it, for development).
globals().update(config.email_settings("KARTOTEKA_EMAIL_URL", "console://"))
DEFAULT_FROM_EMAIL = config.env_str("KARTOTEKA_EMAIL_FROM", "Kartoteka <kartoteka@localhost>")
# The provider's bounce and complaint webhooks (/anymail/<esp>/tracking/) answer only once a
# secret is set: "user:password" for the basic auth in the webhook address the provider calls.
ANYMAIL = {
    **globals().get("ANYMAIL", {}),
    "WEBHOOK_SECRET": config.env_str("KARTOTEKA_EMAIL_WEBHOOK_SECRET", ""),
}
# The address public links in e-mails start with (confirm, unsubscribe, preferences).
KARTOTEKA_PUBLIC_URL = config.env_str("KARTOTEKA_PUBLIC_URL", "http://localhost:8000").rstrip("/")
# Subscription forms: attempts per address and per IP within the window, then 429.
KARTOTEKA_SUBSCRIBE_PER_ADDRESS = config.env_int("KARTOTEKA_SUBSCRIBE_PER_ADDRESS", 5, minimum=1)
KARTOTEKA_SUBSCRIBE_PER_IP = config.env_int("KARTOTEKA_SUBSCRIBE_PER_IP", 30, minimum=1)
KARTOTEKA_SUBSCRIBE_WINDOW_MINUTES = config.env_int(
    "KARTOTEKA_SUBSCRIBE_WINDOW_MINUTES", 60, minimum=1
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": config.env_str("KARTOTEKA_LOG_LEVEL", "WARNING")},
}
