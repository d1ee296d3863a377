"""Django settings, read from the environment with safe local defaults.

Environment variables:

- ``DATABASE_URL``: e.g. ``postgres://user@127.0.0.1:5432/fullvalue``; default an SQLite file
  ``var/fullvalue.sqlite3`` under the repository (ignored by git).
- ``SECRET_KEY``: required unless ``DEBUG`` is on; production refuses to start without it.
- ``ALLOWED_HOSTS``: comma-separated; required unless ``DEBUG`` is on.
- ``DEBUG``: ``1``/``true`` to turn on debug (never in production).
- ``HTTPS``: whether the service is reached over TLS (default: on unless ``DEBUG``). Turns on
  secure cookies, HSTS and the HTTPS redirect. ``script/server`` serves on loopback over plain
  HTTP and so sets ``HTTPS=false``.
- ``OCID_PREFIX``, ``GIVING_PREFIX`` (the 360Giving identifier prefix), ``EMAIL_BACKEND``,
  ``DEFAULT_FROM_EMAIL``, ``SESSION_IDLE_MINUTES``,
  ``FULLVALUE_VAR_DIR``, ``API_RATE_LIMIT`` (e.g. ``600/m``), ``THROTTLE_CACHE_BACKEND`` and
  ``THROTTLE_CACHE_LOCATION`` (where rate-limit counts are shared), ``WORKER_HEARTBEAT_DIR``
  (where task workers write the heartbeats /healthz reads; default ``var/heartbeats``),
  ``AUDIT_KEY`` and ``AUDIT_RETIRED_KEYS`` (the audit chain's HMAC key, default ``var/audit_key``),
  ``AUDIT_CHECKPOINT_DIR`` (signed checkpoints of the chain; default ``var/audit-checkpoints``).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, SELF
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable (1/true/yes/on)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parents[2]
VAR_DIR = Path(os.environ.get("FULLVALUE_VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("FULLVALUE_TESTING", False)
HTTPS = env_bool("HTTPS", not DEBUG and not TESTING)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-local-only-key-never-used-in-production"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set (the service refuses to start).")
if not ALLOWED_HOSTS:
    if DEBUG or TESTING:
        ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]
    else:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set (the service refuses to start).")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "fullvalue.web.kernel",
    "fullvalue.web.audit",
    "fullvalue.web.accounts",
    "fullvalue.web.organisations",
    "fullvalue.web.programmes",
    "fullvalue.web.tendering",
    "fullvalue.web.contracts",
    "fullvalue.web.delivery",
    "fullvalue.web.payruns",
    "fullvalue.web.investments",
    "fullvalue.web.reporting",
    "fullvalue.web.challenges",
    "fullvalue.web.budgets",
    "fullvalue.web.socialvalue",
    "fullvalue.web.involvement",
    "fullvalue.web.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fullvalue.web.kernel.sessions.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fullvalue.web.accounts.middleware.ActorMiddleware",
    "fullvalue.web.kernel.privacy.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "fullvalue.web.kernel.pages.ErrorPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fullvalue.web.site.urls"
WSGI_APPLICATION = "fullvalue.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [PACKAGE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "fullvalue.web.jinja.environment"},
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
#: The audit chain's HMAC key and retired keys (web/audit/keys.py); else var/audit_key.
AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
AUDIT_RETIRED_KEYS = [k for k in os.environ.get("AUDIT_RETIRED_KEYS", "").split(",") if k]
#: Where signed checkpoints of the audit chain's head are written (web/audit/checkpoints.py).
AUDIT_CHECKPOINT_DIR = os.environ.get("AUDIT_CHECKPOINT_DIR") or str(VAR_DIR / "audit-checkpoints")
#: Where task workers write heartbeats that /healthz reads (web/kernel/health.py); shared by both.
WORKER_HEARTBEAT_DIR = os.environ.get("WORKER_HEARTBEAT_DIR") or str(VAR_DIR / "heartbeats")
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'fullvalue.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "dashboard"

# Lockout after repeated failures (django-axes): 5 failures per account and address, 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "fullvalue.web.accounts.views.locked_out"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Fullvalue"

# Sessions: idle timeout, not persisted past the browser session. Stored in the database, so a
# sign-out ends the session in every web worker (a per-process cache would not).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = False  # SessionRefreshMiddleware refreshes it once a minute
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": ["'none'"],
        "base-uri": [SELF],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_MAX_AGE = 3600

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

CACHES = {
    # Rendered pages and version-keyed results: per process is right (decision 0005).
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fullvalue",
    },
    # The API's rate limits must count every web process's requests together, so they live
    # in files every process on the host shares; several hosts need a shared cache server
    # (``THROTTLE_CACHE_BACKEND`` and ``THROTTLE_CACHE_LOCATION``, e.g. Django's RedisCache).
    "throttle": {
        "BACKEND": os.environ.get(
            "THROTTLE_CACHE_BACKEND", "django.core.cache.backends.filebased.FileBasedCache"
        ),
        "LOCATION": os.environ.get("THROTTLE_CACHE_LOCATION", str(VAR_DIR / "throttle")),
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Fullvalue <no-reply@fullvalue.local>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

SERVICE_NAME = os.environ.get("SERVICE_NAME", "Fullvalue")
OCID_PREFIX = os.environ.get("OCID_PREFIX", "ocds-fullvalue")
#: The 360Giving identifier prefix of this publisher (360Giving issues one on registration).
GIVING_PREFIX = os.environ.get("GIVING_PREFIX", "360G-fullvalue")
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/m")
#: Minimum days from a tender's publication for consortia to form (the consortium deadline).
CONSORTIUM_MIN_DAYS = int(os.environ.get("CONSORTIUM_MIN_DAYS", "14"))
DEMO_TOTP_HINT = env_bool("DEMO_TOTP_HINT", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

#: Periodic duties of the task worker (dotted paths, run about once a minute; each decides
#: whether anything is due): the audit trail's signed daily checkpoint.
WORKER_DUTIES = ["fullvalue.web.audit.checkpoints.write_if_due"]
