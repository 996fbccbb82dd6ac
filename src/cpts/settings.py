"""Django settings of CPTS Pilote.

Safe by default: ``DEBUG`` is off unless ``DEBUG=1`` (only ``make demo`` sets it), and the
application refuses to start without ``SECRET_KEY`` when ``DEBUG`` is off. Everything that differs
between the demo, the tests and production comes from the environment; the README's "Production
settings" section lists every variable: ``DATABASE_URL`` (PostgreSQL only, everywhere; with
``DEBUG=1`` it defaults to the demo's embedded server, :mod:`cpts.devdb`), ``SECRET_KEY``, ``DEBUG``,
``ALLOWED_HOSTS``, ``CSRF_TRUSTED_ORIGINS``, ``SECURE_PROXY_SSL_HEADER``, ``EMAIL_BACKEND`` and
the ``EMAIL_*`` of the SMTP server, ``DEFAULT_FROM_EMAIL``, ``CPTS_HOME``,
``CPTS_CLAIMS_DIR``, ``CPTS_SPARK_MASTER``, ``SAS_PLATFORM_URL``, ``SAS_PLATFORM_TOKEN``,
``SAS_PLATFORM_TIMEOUT``.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from cpts import devdb

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("CPTS_HOME", Path.cwd()))
VAR_DIR = BASE_DIR / "var"


def env_flag(name: str) -> bool:
    """True only when the variable says so explicitly (1, true, yes, on)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def demo_secret_key(path: Path) -> str:
    """A random key made once for this machine's demo and kept under var/ (never in the code)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


DEBUG = env_flag("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set: DEBUG is off (only the demo, with DEBUG=1, makes its own key)"
        )
    SECRET_KEY = demo_secret_key(VAR_DIR / "demo-secret-key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")


def database_settings(url: str) -> dict[str, Any]:
    """PostgreSQL only: its constraints and triggers hold rules that no other engine would keep."""
    if not url:
        raise ImproperlyConfigured(
            "DATABASE_URL must be set: postgres://user:password@host:5432/name (only the demo, "
            "with DEBUG=1, has a default: its embedded server in var/postgres)"
        )
    database = dj_database_url.parse(url, conn_max_age=60)
    if database["ENGINE"] != "django.db.backends.postgresql":
        scheme = url.split(":", 1)[0]
        raise ImproperlyConfigured(
            f"DATABASE_URL must name a PostgreSQL server (postgres://...), not {scheme!r}: "
            "CPTS Pilote runs on PostgreSQL only"
        )
    return dict(database)


# The demo (DEBUG=1) defaults to its embedded server in var/postgres, started by `make demo`
# (`python -m cpts.devdb start`); everything else names its server in DATABASE_URL.
DATABASES = {
    "default": database_settings(
        os.environ.get("DATABASE_URL") or (devdb.database_url(VAR_DIR) if DEBUG else "")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches. "default": the memory of each process (Django's own uses). "shared": the level 2 of the
# steering figures' cache (cpts.steering.versions), shared by every server process, in PostgreSQL
# (table cpts_shared_cache, created by the migrations of cpts.steering). Its entries are keyed on
# the data version, so they are never stale; TIMEOUT (= versions.TIMEOUT) and MAX_ENTRIES only
# bound the table: past 1,000 entries (the national dashboard's figures weigh 22 kB pickled) the
# expired ones go, then a third of the rest, oldest versions first (the keys begin with the
# version).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "cpts_shared_cache",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 1000, "CULL_FREQUENCY": 3},
    },
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "widget_tweaks",
    "dsfr",
    "simple_history",
    "axes",
    "csp",
    "cpts.core",
    "cpts.accounts",
    "cpts.territory",
    "cpts.communities",
    "cpts.contracts",
    "cpts.crises",
    "cpts.indicators",
    "cpts.unscheduled_care",
    "cpts.payments",
    "cpts.steering",
    "cpts.www",
    "cpts.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "cpts.accounts.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "cpts.urls"
WSGI_APPLICATION = "cpts.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dsfr.context_processors.site_config",
                "cpts.www.context_processors.navigation",
            ],
        },
    },
]
FORM_RENDERER = "dsfr.forms.DsfrDjangoTemplates"
# django-dsfr marks the content of its components (table cells, alerts, messages) safe unless told
# otherwise: they show names and messages that users typed, so they are escaped like any variable
# (a cell that must hold markup is built with format_html).
DSFR_CONTENT_IS_SAFE = False

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before checking it
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes): after 5 failures for one username from one IP address, that
# username is locked out from that address for 15 minutes; a success resets the count.
# `manage.py axes_reset_username <username>` unlocks earlier.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cpts.www.accounts.locked_out"

# Sessions last one working day at most, and end when the browser closes.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it, even before collectstatic
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media-protected/"  # never served directly: proofs go through a permission check

# Proof files (deliverables of the indicator annex).
PROOF_MAX_BYTES = 10 * 1024 * 1024
PROOF_EXTENSIONS = ("pdf", "png", "jpg", "jpeg", "odt", "ods", "docx", "xlsx", "csv")

# Claims shaped like the SNDS (DIR/ER_PRS_F, IR_BEN_R, IR_IMB_R, IR_MTT_R: folders of Parquet
# files), read to compute the indicators of the annex (cpts.indicators).
CLAIMS_DIR = Path(os.environ.get("CPTS_CLAIMS_DIR", "") or VAR_DIR / "claims")
# The Spark cluster the indicators run on when computed with Spark (the screens and `cpts
# indicators fill` without --spark-master): spark://host:7077, yarn...; unset: local[*].
SPARK_MASTER = os.environ.get("CPTS_SPARK_MASTER", "") or None

# The SAS platform, to which every appointment booked is declared (FHIR, POST [url]/Appointment,
# bearer token): unset, declarations wait in the outbox (cpts.unscheduled_care.declarations).
SAS_PLATFORM_URL = os.environ.get("SAS_PLATFORM_URL", "").strip().rstrip("/")
SAS_PLATFORM_TOKEN = os.environ.get("SAS_PLATFORM_TOKEN", "")
SAS_PLATFORM_TIMEOUT = float(os.environ.get("SAS_PLATFORM_TIMEOUT", "") or 10)

# Days before the crisis plan's yearly update is due (missions.crisis.plan_update_months) from
# which the community is reminded (plans page, dashboard, e-mail). The text sets no such delay:
# 30 days, like the other deadline reminders.
CRISIS_PLAN_REMINDER_DAYS = int(os.environ.get("CRISIS_PLAN_REMINDER_DAYS", "30"))

# How long a SAS request keeps the patient's commune (days); ``cpts sas purge`` erases it after.
# 365 days: the indicator is evaluated once a contract year is over, and the CPAM may ask the
# community to explain a figure in the following months; beyond, the département, urgency, times
# and outcome are enough for the counts (RGPD: storage limitation). Not a legal figure: a choice
# each deployment may change.
SAS_REQUEST_RETENTION_DAYS = int(os.environ.get("CPTS_SAS_REQUEST_RETENTION_DAYS", "") or 365)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "CPTS Pilote <ne-pas-repondre@cpts-pilote.example>"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS")
# Seconds before an SMTP exchange gives up: the worker (cpts worker) must never hang on a server.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    # Production: HTTPS only. Behind a reverse proxy that terminates TLS, set
    # SECURE_PROXY_SSL_HEADER=1 so that Django trusts its X-Forwarded-Proto header (only if the
    # proxy always sets it, overwriting any value sent by the client).
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_flag("SECURE_PROXY_SSL_HEADER"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts, styles, fonts and images come from our own static
# files (django-dsfr's included); no inline script, no inline style, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
