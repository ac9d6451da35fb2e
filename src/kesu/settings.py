"""Settings, all read from the environment.

Defaults run the embedded all-in-one on SQLite under ``KESU_DATA_DIR`` (``./var``).
With ``KESU_ENV=production`` a secret key and allowed hosts must be given; nothing
insecure is defaulted there.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from kesu.web.rate import Rate, parse_rate

BASE_DIR = Path(__file__).resolve().parent
ENVIRONMENT = os.environ.get("KESU_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"

DATA_DIR = Path(os.environ.get("KESU_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value in (None, "") else value.strip().lower() in ("1", "true", "yes", "on")


def _env_rate(name: str, default: str) -> Rate:
    try:
        return parse_rate(os.environ.get(name) or default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None


if PRODUCTION:
    # No defaults for secrets in production (docs/deployment.md): refuse to start instead.
    SECRET_KEY = os.environ.get("KESU_SECRET_KEY", "")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "KESU_ENV=production needs KESU_SECRET_KEY: a random string of 50 characters or more"
            " (python3 -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    ALLOWED_HOSTS = _env_list("KESU_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "KESU_ENV=production needs KESU_ALLOWED_HOSTS: the host names kesu answers to,"
            " comma-separated (e.g. kesu.example.cn)."
        )
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
    "kesu.mailin",
    "kesu.analysis",
    "kesu.reports",
    "kesu.improvement",
    "kesu.backup",
    "axes",  # sign-in lock-out after repeated failures (docs/decisions/0008)
]

MIDDLEWARE = [
    # First: /healthz and /readyz answer before host checks, TLS redirects, sessions and CSRF,
    # so a load balancer probing by IP over plain HTTP gets the real answer (kesu.web.health).
    "kesu.web.health.HealthCheckMiddleware",
    "kesu.web.dbdown.DatabaseUnavailableMiddleware",  # database out of reach: 503, not 500
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
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Refuses sign-ins from a client network with too many recent failures (before axes).
    "kesu.web.signin_limit.SigninAddressLimitMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

# Sign-in lock-out (django-axes, docs/decisions/0008): after KESU_SIGNIN_FAILURES wrong
# passwords for one username, that username is refused for KESU_SIGNIN_LOCK_MINUTES, even with
# the right password, whatever the address; a successful sign-in clears the count. Locking by
# username, not address: a company office signs in from one address, and one clumsy colleague
# must not lock everyone out. Administrators can lift a lock in the admin (Access attempts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("KESU_SIGNIN_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("KESU_SIGNIN_LOCK_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kesu.web.views.signin_locked"
AXES_CLIENT_IP_CALLABLE = "kesu.web.ratelimit.client_address"
AXES_VERBOSE = False
# Password spraying (one address, many usernames) is caught by a second, higher limit per
# client network that axes cannot express beside the per-username one (one failure limit for
# every parameter): KESU_SIGNIN_ADDRESS_FAILURES failed sign-ins per window from one network,
# then its sign-ins are refused until the window ends (kesu.web.signin_limit, decision 0009).
KESU_SIGNIN_ADDRESS_FAILURES = _env_rate("KESU_SIGNIN_ADDRESS_FAILURES", "30/15min")

# API rate limits per bearer token (kesu.api.auth, docs/decisions/0009): reads (GET, HEAD) and
# writes are counted apart, in fixed windows in the database, so every web process shares the
# count; over the limit the API answers 429 with Retry-After. KESU_API_TOKEN_FAILURES: unknown
# or revoked tokens per client network and window; past it, bearer requests from that network
# are refused before the token is looked up (token guessing).
KESU_API_RATE = _env_rate("KESU_API_RATE", "600/min")
KESU_API_WRITE_RATE = _env_rate("KESU_API_WRITE_RATE", "120/min")
KESU_API_TOKEN_FAILURES = _env_rate("KESU_API_TOKEN_FAILURES", "20/10min")

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
else:
    # PostgreSQL's JIT compiles a plan once its estimated cost passes a threshold: 40–90 ms
    # added to queue pages that run in 5 ms (bench/README.md). An interactive application's
    # queries gain nothing from it; KESU_PG_JIT=1 turns it back on.
    if os.environ.get("KESU_PG_JIT", "0") != "1":
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # A database host that does not answer fails the request in seconds (a 503, kesu.web.dbdown)
    # instead of holding a web worker until its timeout; ?connect_timeout= in the URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Staff sign in with a password alone: 12 characters rather than Django's 8 (decision 0010).
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
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

# Production: hashed file names (style.3f2a….css) served by whitenoise with a far-future,
# immutable Cache-Control, plus gzip/brotli copies; `collectstatic` writes them and the
# manifest. Development keeps plain names so no collectstatic is needed before the tests.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
if PRODUCTION:
    # Only the hashed copies are kept (every page names its files through {% static %}), and
    # source maps, read by developer tools only, are not compressed: half the work for
    # collectstatic, whose brotli pass is what makes it slow.
    WHITENOISE_KEEP_ONLY_HASHED_FILES = True
    from whitenoise.compress import Compressor

    WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

EMAIL_BACKEND = os.environ.get(
    "KESU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("KESU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KESU_EMAIL_PORT", "25"))
# Seconds before a silent SMTP server fails the send (Django's default is to wait for ever,
# which outlives the outbox lease; see docs/decisions/0003); the message is then retried.
EMAIL_TIMEOUT = float(os.environ.get("KESU_EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("KESU_FROM_EMAIL", "kesu@localhost")

# Outbox worker (docs/decisions/0003): messages claimed per loop and how long a claim lasts
# before another worker may take the message over.
KESU_OUTBOX_BATCH = int(os.environ.get("KESU_OUTBOX_BATCH", "50"))
KESU_OUTBOX_LEASE_SECONDS = int(os.environ.get("KESU_OUTBOX_LEASE_SECONDS", "60"))

# SMS gateway (docs/notifications.md): a dotted path. Alibaba Cloud SMS sends pre-approved
# templates: KESU_SMS_ALIYUN_TEMPLATES is a JSON object {event: template code}.
KESU_SMS_GATEWAY = os.environ.get("KESU_SMS_GATEWAY", "kesu.outbox.sms.ConsoleSmsGateway")
KESU_SMS_ALIYUN = {
    "access_key_id": os.environ.get("KESU_SMS_ALIYUN_ACCESS_KEY_ID", ""),
    "access_key_secret": os.environ.get("KESU_SMS_ALIYUN_ACCESS_KEY_SECRET", ""),
    "sign_name": os.environ.get("KESU_SMS_ALIYUN_SIGN_NAME", ""),
    "endpoint": os.environ.get("KESU_SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
    "region": os.environ.get("KESU_SMS_ALIYUN_REGION", "cn-hangzhou"),
    "templates": json.loads(os.environ.get("KESU_SMS_ALIYUN_TEMPLATES") or "{}"),
    "default_template": os.environ.get("KESU_SMS_ALIYUN_DEFAULT_TEMPLATE", ""),
}
# Outgoing webhooks (docs/webhooks.md): seconds to wait for a receiver.
KESU_WEBHOOK_TIMEOUT = float(os.environ.get("KESU_WEBHOOK_TIMEOUT", "10"))

# Public base URL used in messages to customers (private portal links).
KESU_BASE_URL = os.environ.get("KESU_BASE_URL", "http://127.0.0.1:8000")
# Days a customer's private link keeps working after the complaint is finished; after a
# closure never less than the policy's reopen window (docs/portal.md).
KESU_PORTAL_LINK_DAYS = int(os.environ.get("KESU_PORTAL_LINK_DAYS", "90"))
KESU_MAX_UPLOAD_BYTES = int(os.environ.get("KESU_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))


def _mailboxes() -> list[dict]:
    """Email intake (docs/email-intake.md): KESU_MAILBOXES as a JSON list of mailboxes, or one
    mailbox from KESU_IMAP_HOST / _USER / _PASSWORD. Checked by kesu.mailin.config when used."""
    if os.environ.get("KESU_MAILBOXES"):
        return json.loads(os.environ["KESU_MAILBOXES"])
    if not os.environ.get("KESU_IMAP_HOST"):
        return []
    return [
        {
            "name": os.environ.get("KESU_IMAP_NAME", "default"),
            "host": os.environ["KESU_IMAP_HOST"],
            "port": int(os.environ.get("KESU_IMAP_PORT", "993")),
            "username": os.environ.get("KESU_IMAP_USER", ""),
            "password": os.environ.get("KESU_IMAP_PASSWORD", ""),
            "ssl": os.environ.get("KESU_IMAP_SSL", "1") == "1",
            "starttls": os.environ.get("KESU_IMAP_STARTTLS", "0") == "1",
            "folder": os.environ.get("KESU_IMAP_FOLDER", "INBOX"),
            "processed_folder": os.environ.get("KESU_IMAP_PROCESSED_FOLDER", ""),
        }
    ]


KESU_MAILBOXES = _mailboxes()

# Transport security (docs/deployment.md). KESU_TLS=1 (the production default): users reach
# kesu over HTTPS, so cookies are Secure, plain HTTP is redirected and HSTS is sent.
# KESU_BEHIND_PROXY=1: TLS ends at a reverse proxy that sets X-Forwarded-Proto; trust it.
# Only set it when the proxy is the only way in (it must overwrite a client's own header).
KESU_TLS = _env_flag("KESU_TLS", PRODUCTION)
if _env_flag("KESU_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For: the rate limits (portal submissions,
# sign-in and API token failures) count the client found there (kesu.web.ratelimit); 0 counts
# REMOTE_ADDR.
KESU_TRUSTED_PROXIES = int(os.environ.get("KESU_TRUSTED_PROXIES", "0"))
# Security headers (docs/decisions/0010-security-headers.md), sent in every environment.
# Django's defaults, written out so the policy is read in one place.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: htmx and the API page take the token from the page.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# No inline script, no eval, no inline style attribute anywhere: page scripts are static files
# (web/static/web/*.js) and htmx is told not to inject its indicator <style> nor eval
# (base.html's htmx-config). The monthly report's stylesheet is inlined in its pages (it is
# shared with the standalone file and the PDF) and carries the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if KESU_TLS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_flag("KESU_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("KESU_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_flag("KESU_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_flag("KESU_HSTS_PRELOAD", False)

# security.W021 (HSTS preload not set): preloading is a decision for the owner of the whole
# domain (it is submitted to the browsers' list and is hard to undo), not for one application
# on it; KESU_HSTS_PRELOAD=1 turns it on. kesu.W001 (a year's holidays not entered) stays on.
# axes.W006 (lock-out not by address): deliberate, see AXES_LOCKOUT_PARAMETERS above and
# docs/decisions/0008 — locking an address would lock a whole office behind one NAT.
SILENCED_SYSTEM_CHECKS = ["security.W021", "axes.W006"]

# KESU_LOG_FORMAT: json (one JSON object per line, kesu.logjson; the production default)
# or text.
KESU_LOG_FORMAT = os.environ.get("KESU_LOG_FORMAT", "json" if PRODUCTION else "text")
if KESU_LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("KESU_LOG_FORMAT must be json or text.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "kesu.logjson.JsonFormatter"},
        # The message alone, as before JSON lines existed: tools and tests read the worker's
        # JSON events from its text output (tests/support/processes.py).
        "text": {"format": "%(message)s"},
    },
    # No private portal link in any line (kesu.logjson.RedactPrivateLinks).
    "filters": {"private_links": {"()": "kesu.logjson.RedactPrivateLinks"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": KESU_LOG_FORMAT,
            "filters": ["private_links"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("KESU_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs every layout step of a PDF at INFO: only its warnings matter here.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
