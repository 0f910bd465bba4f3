"""`DATABASE_URL` → Django's `DATABASES["default"]`, tuned per backend so the same models behave
the same on SQLite, PostgreSQL and MariaDB (the chapter's "change the URL, not the app")."""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

ACCEPTED_FORMS = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, "
    "postgres://USER:PASSWORD@HOST:PORT/NAME or mysql://USER:PASSWORD@HOST:PORT/NAME (MariaDB)"
)
SUPPORTED_ENGINES = {
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
    "django.db.backends.mysql",
}
# Seconds a SQLite writer waits for another writer's lock before "database is locked".
SQLITE_BUSY_TIMEOUT = 20


def database_from_url(url, base_dir):
    """Parse `url` (or default to `<base_dir>/app.db`) and raise one clear line when it is bad."""
    url = url or f"sqlite:///{base_dir / 'app.db'}"
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:  # dj-database-url's errors (unknown scheme, bad port) are ValueErrors
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a database URL we can use ({_first_line(exc)}). "
            f"Accepted forms: {ACCEPTED_FORMS}"
        ) from None
    if config["ENGINE"] not in SUPPORTED_ENGINES:
        raise ImproperlyConfigured(
            f"DATABASE_URL names an unsupported backend ({config['ENGINE']}). "
            f"Accepted forms: {ACCEPTED_FORMS}"
        )
    if not config["NAME"]:
        raise ImproperlyConfigured(
            f"DATABASE_URL has no database name. Accepted forms: {ACCEPTED_FORMS}"
        )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        _tune_sqlite(config, base_dir)
    elif config["ENGINE"] == "django.db.backends.mysql":
        _tune_mariadb(config)
    return config


def _tune_sqlite(config, base_dir):
    # A persistent connection buys little with a file, and a thread-held one blocks WAL checkpoints.
    config["CONN_MAX_AGE"] = 0
    config["OPTIONS"] = {
        # WAL lets readers work while one process writes; IMMEDIATE takes the write lock when a
        # transaction starts, so a read-then-write transaction waits for the lock (up to the busy
        # timeout) instead of failing at once with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT,
    }
    # Tests get a real file too (not the in-memory default), so they exercise WAL and locking.
    config["TEST"] = {"NAME": str(base_dir / "test_app.db")}


def _tune_mariadb(config):
    config["OPTIONS"] = {
        # utf8mb4 stores 4-byte characters (emoji); Django 5.2 asks for it, the database must
        # use it too (see the README). Strict mode turns silent truncation into an error.
        "charset": "utf8mb4",
        "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
        "isolation_level": "read committed",
    }
    # The *_ci collation is what makes "Mary" and "mary" collide on MariaDB (see accounts.User).
    config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}


def _first_line(exc):
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
