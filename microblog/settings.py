"""Settings for microblog, read from the environment like the chapter's `config.py`.

DJANGO_ENV picks the mode: "development" (the default for manage.py and tests) or "production"
(the default for anything served through wsgi.py/asgi.py, such as gunicorn).
"""

import logging
import os
from datetime import timedelta
from pathlib import Path

import csp.constants as csp
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

from microblog.database import database_from_url, replicas_from_urls, tune_connections

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    """A yes/no environment variable; anything unexpected is an error, never a silent False."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/true/yes/on or 0/false/no/off, not {value!r}")


def env_seconds(name: str, default: float) -> float:
    """A number of seconds from the environment; anything else stops start-up with one line."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if not 0 <= seconds < float("inf"):
        raise ImproperlyConfigured(f"{name} must be a number of seconds, not {value!r}")
    return seconds


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"
# Behind a proxy that ends TLS (nginx, a load balancer): see SECURE_PROXY_SSL_HEADER below, and
# accounts/lockout.py for the client's address. Read in production only.
BEHIND_TLS_PROXY = PRODUCTION and env_flag("BEHIND_TLS_PROXY", default=False)

DEBUG = env_flag("DEBUG", default=not PRODUCTION)

# A fixed key keeps development logins alive across restarts; production never falls back to it.
SECRET_KEY = os.environ.get("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = "django-insecure-development-only-never-used-when-DJANGO_ENV-is-production"

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    if PRODUCTION:
        # With DEBUG off and no hosts, Django answers every request with 400: say so at start-up.
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must be set when DJANGO_ENV=production "
            "(the site's host names, comma-separated, e.g. ALLOWED_HOSTS=microblog.example.com)"
        )
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # PostgreSQL's extras: the trigram index on post bodies (blog/migrations/0003). Harmless on
    # SQLite and MariaDB, where nothing of it is used.
    "django.contrib.postgres",
    "django_extensions",
    # `manage.py lintmigrations` (make lint-migrations); reviewed exceptions are marked in the
    # migration itself with its IgnoreMigration() (docs/schema-changes.md, "What the linters say").
    "django_migration_linter",
    # Login lockout after repeated failures (AXES_* below).
    "axes",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below).
    "csp",
    # The admin's from/to date filter on posts (blog/admin.py).
    "rangefilter",
    # accounts before blog: blog's admin extends the user admin that accounts registers.
    "accounts",
    "blog",
    "contrast",
    # `manage.py backup` and `restore` (backup_restore/dumps.py).
    "backup_restore",
    # Read replicas: the router, their health checks and /healthz (docs/scale-out.md).
    "replicas",
    # Users and posts in and out of the admin as CSV, XLSX and JSON. Before django_tasks_db: its
    # `db_worker` command replaces the library's with one that outlives the database.
    "spreadsheets",
    # Background tasks (Django 6.0's tasks framework, backported), queued in the database and
    # run by `manage.py db_worker`: imports of big files (spreadsheets/tasks.py).
    "django_tasks",
    "django_tasks_db",
    # The project package's own commands: `migrate` with bounded lock waits (microblog/management).
    "microblog",
]

MIDDLEWARE = [
    "microblog.request_log.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything that may answer early, so that every answer carries the policy.
    "csp.middleware.CSPMiddleware",
    "microblog.hostile_input.RejectUnusableInputMiddleware",
    # No request waits on PostgreSQL or MariaDB past DATABASE_TIMEOUT_SECONDS
    # (replicas/deadline.py): it wraps everything that may query, the session's save included;
    # inside the CSP middleware, whose nonce its 503 page needs.
    "replicas.deadline.DatabaseDeadlineMiddleware",
    # When the primary cannot take writes: the read-only 503 (replicas/read_only.py). Before
    # the router, whose retry of a public read on a standby comes first. PostgreSQL only.
    "replicas.read_only.ReadOnlyMiddleware",
    # Read replicas (replicas/router.py): must wrap every middleware that reads the database
    # when called, so it stays before SessionMiddleware. Does nothing without replicas.
    "replicas.router.ReadRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a login refused for lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Django's database sessions, except that a database failing under a session's save is a 503,
# not a 400 that says the session was deleted (microblog/sessions.py).
SESSION_ENGINE = "microblog.sessions"

ROOT_URLCONF = "microblog.urls"
WSGI_APPLICATION = "microblog.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The site's own templates: the look every page shares, and the error pages.
        "DIRS": [BASE_DIR / "microblog" / "templates"],
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

# The chapter: `os.environ.get('DATABASE_URL') or 'sqlite:///' + os.path.join(basedir, 'app.db')`.
DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"), BASE_DIR)}
# Past one server (docs/scale-out.md): read replicas (replica_1, replica_2, ...), psycopg's pool,
# PgBouncer. Without these variables, nothing here changes anything.
DATABASES.update(
    replicas_from_urls(os.environ.get("DATABASE_REPLICA_URLS"), DATABASES["default"], BASE_DIR)
)
for _database in DATABASES.values():
    tune_connections(
        _database,
        pool=env_flag("DATABASE_POOL", default=False),
        pgbouncer=env_flag("DATABASE_PGBOUNCER", default=False),
    )
DATABASE_ROUTERS = ["replicas.router.ReplicaRouter"] if len(DATABASES) > 1 else []
# A visitor's reads stay on the primary this long after they write, so they see what they wrote.
READ_YOUR_WRITES_SECONDS = env_seconds("READ_YOUR_WRITES_SECONDS", default=5)
# A replica further behind than this is skipped, as is one that is down, for this long.
REPLICA_MAX_LAG_SECONDS = env_seconds("REPLICA_MAX_LAG_SECONDS", default=5)
REPLICA_RETRY_SECONDS = env_seconds("REPLICA_RETRY_SECONDS", default=10)
# A healthy replica's answer is trusted this long: one cheap query a second per worker process.
REPLICA_CHECK_SECONDS = env_seconds("REPLICA_CHECK_SECONDS", default=1)
# How long a request may wait on PostgreSQL (a lock, a synchronous standby that has left)
# before its queries are cancelled and it answers 503: half of gunicorn's 30 s timeout, so the
# 503 page is sent long before gunicorn would kill the worker (replicas/deadline.py).
DATABASE_TIMEOUT_SECONDS = env_seconds("DATABASE_TIMEOUT_SECONDS", default=15)
# A read from a standby that has not answered in this long is given up and served again from
# elsewhere (replicas/deadline.py): a standby that sleeps must not hold the public pages.
REPLICA_TIMEOUT_SECONDS = env_seconds("REPLICA_TIMEOUT_SECONDS", default=5)
# The task queue is a table in the same database; `make run` and `make serve` start its worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Where uploaded import files wait for the worker (it must see the same folder as the app).
IMPORT_UPLOAD_DIR = os.environ.get("IMPORT_UPLOAD_DIR") or str(BASE_DIR / "imports")
# Exports of more rows than this are written by the worker to EXPORT_DIR (which it must see too)
# and downloaded when done: streamed in the request, a million posts would outlast gunicorn's
# 30 s timeout. Below it, the file streams at once (20,000 posts: about a second as CSV, a few
# as XLSX).
EXPORT_STREAMED_MAX_ROWS = int(os.environ.get("EXPORT_STREAMED_MAX_ROWS", 20_000))
EXPORT_DIR = os.environ.get("EXPORT_DIR") or str(BASE_DIR / "exports")
# Uploads never confirmed, and exports' files, are removed after this many hours (by the next
# upload or export, or by `manage.py forget_spreadsheet_files` from cron).
SPREADSHEET_FILES_KEEP_HOURS = float(os.environ.get("SPREADSHEET_FILES_KEEP_HOURS", 24))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# MariaDB cannot index Lower(username): its case-insensitive collation enforces the same rule
# (tests/test_backends.py proves it), so the warning that it skips the constraint is noise.
SILENCED_SYSTEM_CHECKS = ["models.W044"]
# Argon2 (the Password Hashing Competition's winner) hashes new passwords. The rest only check
# older hashes: Django's other formats, then werkzeug's for users imported from the Flask app
# (accounts/hashers.py). Django re-hashes any of those with Argon2 at the user's next login.
# dict.fromkeys keeps the order and drops Argon2's second mention among Django's defaults.
PASSWORD_HASHERS = list(
    dict.fromkeys(
        [
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            *global_settings.PASSWORD_HASHERS,
            "accounts.hashers.WerkzeugPBKDF2PasswordHasher",
            "accounts.hashers.WerkzeugScryptPasswordHasher",
        ]
    )
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# Login lockout (django-axes): after LOGIN_FAILURE_LIMIT failed logins in a row for one username,
# or from one address, further attempts for it are refused for LOGIN_LOCKOUT_MINUTES, with a page
# saying so (status 429). A superuser unlocks early by deleting the attempts in the admin (Axes ›
# Access attempts) or with `manage.py axes_reset_username NAME`. Each failure's count lives in the
# database, so every gunicorn worker and app server sees the same count.
LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCKOUT_MINUTES = 15
AUTHENTICATION_BACKENDS = [
    # First: it refuses a locked-out web login before any check (accounts/lockout.py).
    "accounts.lockout.WebLoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks; not only the pair
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_USERNAME_CALLABLE = "accounts.lockout.username"
# Failures are what a lockout needs; a row per successful login would grow without end.
AXES_DISABLE_ACCESS_LOG = True
# No "AXES: BEGIN" line at every manage.py command; failures and lockouts are still logged.
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): the browser runs only scripts and styles served from this
# site, and inline ones only when they carry the nonce made for that response (the admin's date
# range filter's do), so an injected <script> or onclick= does nothing. Nothing may frame the
# site, no <base> or plugin can be injected, forms post only here. The browser tests fail on any
# violation in the console (tests/test_browser_admin.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.NONE],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],  # the admin's author search box asks the server as you type
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "base-uri": [csp.NONE],
    },
}

LANGUAGE_CODE = "en-us"
# Stored and shown in UTC, as the chapter advises for a server application.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Logs go to stderr, where gunicorn, systemd or a container runtime collect them. Every 5xx is
# logged once with its traceback (Django's "django.request" logger), and every line carries the
# request's id, method, path and user (microblog/request_log.py). Two of Django's loggers stop
# at INFO whatever LOG_LEVEL says, because at DEBUG they write what must never be kept: with
# DEBUG on, django.db.backends logs each query with its parameters (password hashes, session
# keys), and django.template logs a failed variable lookup with the whole template context
# (the debug error page's holds the request's form data and the settings).
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "microblog.request_log.RequestContextFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s %(request_fields)s%(message)s",
        },
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "line",
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers (mail to ADMINS, the development console) are replaced, not
        # added to: each record reaches stderr once, through the root logger.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.db.backends": {"level": max(LOG_LEVEL, "INFO", key=logging.getLevelName)},
        "django.template": {"level": max(LOG_LEVEL, "INFO", key=logging.getLevelName)},
        # django-axes says "Deleted 0 failed login attempts" at INFO on every login; its
        # failures and lockouts, the lines worth reading, are WARNINGs.
        "axes": {"level": max(LOG_LEVEL, "WARNING", key=logging.getLevelName)},
    },
}

STATIC_URL = "static/"
# Where `collectstatic` gathers the files that whitenoise serves in production.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"

if PRODUCTION:
    # Cookies only over HTTPS, and browsers told to use nothing but HTTPS for a year.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # Load balancers probe over plain HTTP; a redirect would read as "unhealthy".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind a proxy that ends TLS (nginx, a load balancer), gunicorn sees plain HTTP; the proxy's
    # X-Forwarded-Proto header says what the browser used. Trust it only when a proxy sets it,
    # or any client could claim HTTPS.
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # gunicorn serves the admin's CSS and JavaScript itself (from STATIC_ROOT, filled by
    # `collectstatic`): no separate web server needed. Right after SecurityMiddleware, as
    # whitenoise asks. Development has runserver's own static file serving instead.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
    # Compressed files with a content hash in their names, so browsers may cache them forever.
    STORAGES = {
        **global_settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
