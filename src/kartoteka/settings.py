"""Django settings; every value that varies by machine comes from core.config."""

import secrets
from pathlib import Path

import dj_database_url

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
ALLOWED_HOSTS = [h for h in config.env_str("KARTOTEKA_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in config.env_str("KARTOTEKA_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

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
    "kartoteka.core",
    "kartoteka.accounts",
    "kartoteka.contacts",
    "kartoteka.activity",
    "kartoteka.segments",
    "kartoteka.transfer",
    "kartoteka.duplicates",
    "kartoteka.privacy",
    "kartoteka.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
    # WAL lets the web process read while a worker writes; IMMEDIATE avoids lock upgrades.
    # Memory-mapped reads: every request opens a new connection with an empty page cache, so
    # without them each page a query touches is a read() call (a filter that visits 80,000
    # contacts of a million: 434-506 ms; mapped, 289-319 ms).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        " PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA mmap_size=4294967296;",
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("pl", "Polski")]
LOCALE_PATHS = [BASE_DIR / "locale"]
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
RQ_QUEUES = {"default": {"URL": config.env_str("REDIS_URL", "redis://127.0.0.1:6379/0")}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": config.env_str("KARTOTEKA_LOG_LEVEL", "WARNING")},
}
