"""Settings, all read from the environment.

Defaults run the embedded all-in-one on SQLite under ``KESU_DATA_DIR`` (``./var``).
With ``KESU_ENV=production`` a secret key and allowed hosts must be given; nothing
insecure is defaulted there.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
ENVIRONMENT = os.environ.get("KESU_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"

DATA_DIR = Path(os.environ.get("KESU_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


if PRODUCTION:
    SECRET_KEY = os.environ["KESU_SECRET_KEY"]
    ALLOWED_HOSTS = _env_list("KESU_ALLOWED_HOSTS")
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("KESU_SECRET_KEY", "kesu-development-only-not-secret")
    ALLOWED_HOSTS = _env_list("KESU_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
    DEBUG = os.environ.get("KESU_DEBUG", "1") == "1"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves its Swagger UI files locally (no CDN)
    "django_htmx",  # htmx itself, from PyPI, served as a static file
    "template_partials",
    "kesu.accounts",
    "kesu.workcal",
    "kesu.policy",
    "kesu.outbox",
    "kesu.complaints",
    "kesu.web",
    "kesu.console",
    "kesu.portal",
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
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kesu.urls"
LOGIN_URL = "login"
LOGOUT_REDIRECT_URL = "login"
WSGI_APPLICATION = "kesu.wsgi.application"

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
                "kesu.console.context.console_queues",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{DATA_DIR / 'kesu.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker share the file: take the write lock at BEGIN so concurrent writers
    # queue (busy timeout) instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("KESU_TEST_SQLITE", "")}
    if not DATABASES["default"]["TEST"]["NAME"]:
        del DATABASES["default"]["TEST"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/media/"  # never served directly: attachments go through an access check

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get(
    "KESU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("KESU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KESU_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("KESU_FROM_EMAIL", "kesu@localhost")

# Public base URL used in messages to customers (private portal links).
KESU_BASE_URL = os.environ.get("KESU_BASE_URL", "http://127.0.0.1:8000")
KESU_MAX_UPLOAD_BYTES = int(os.environ.get("KESU_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KESU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
