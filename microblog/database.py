"""`DATABASE_URL` → Django's `DATABASES["default"]`, tuned per backend so the same models behave
the same on SQLite, PostgreSQL and MariaDB (the chapter's "change the URL, not the app")."""

import re
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

ACCEPTED_FORMS = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, "
    "postgres://USER:PASSWORD@HOST:PORT/NAME, "
    "postgres://USER:PASSWORD@HOST1:PORT1,HOST2:PORT2/NAME (a Patroni cluster) "
    "or mysql://USER:PASSWORD@HOST:PORT/NAME (MariaDB)"
)
POSTGRESQL = "django.db.backends.postgresql"
SUPPORTED_ENGINES = {
    "django.db.backends.sqlite3",
    POSTGRESQL,
    "django.db.backends.mysql",
}
# Seconds a SQLite writer waits for another writer's lock before "database is locked".
SQLITE_BUSY_TIMEOUT = 20
# Seconds to wait for a PostgreSQL server to accept a connection. libpq waits forever by default:
# a replica whose host has vanished would hang every request routed to it; this way it fails
# fast and is skipped (replicas/status.py). A URL's own `?connect_timeout=` wins.
POSTGRES_CONNECT_TIMEOUT = 3
# psycopg's pool, per worker process and database (DATABASE_POOL=on). A gunicorn sync worker
# serves one request at a time, so it needs one connection; the spare covers the health check.
# `timeout`: how long to wait for a connection before the request fails (a 503).
POOL_OPTIONS = {"min_size": 1, "max_size": 2, "timeout": POSTGRES_CONNECT_TIMEOUT}
# With several hosts in one URL (docs/scale-out.md, "When the primary fails"), libpq tries them
# in turn and keeps the first whose session fits: the primary needs the one server that takes
# writes, a replica prefers a standby and settles for the primary when no standby answers.
PRIMARY_SESSION_ATTRS = "read-write"
REPLICA_SESSION_ATTRS = "prefer-standby"
SESSION_ATTRS = {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}
HOST_LIST = re.compile(r"^(?P<scheme>postgres(?:ql)?://(?:[^@/]*@)?)(?P<hosts>[^/?#]*,[^/?#]*)")
PORT = re.compile(r"^\d{1,5}$")


def database_from_url(
    url: str | None,
    base_dir: Path,
    variable: str = "DATABASE_URL",
    session_attrs: str = PRIMARY_SESSION_ATTRS,
) -> dict[str, Any]:
    """Parse `url` (or default to `<base_dir>/app.db`) and raise one clear line when it is bad;
    `variable` is the setting the line names. A PostgreSQL URL may list several hosts; then
    `session_attrs` is libpq's `target_session_attrs` unless the URL gives its own."""
    url = url or f"sqlite:///{base_dir / 'app.db'}"
    url, hosts = _split_hosts(url, variable)
    try:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
    except ValueError as exc:  # dj-database-url's errors (unknown scheme, bad port) are ValueErrors
        raise ImproperlyConfigured(
            f"{variable} is not a database URL we can use ({_first_line(exc)}). "
            f"Accepted forms: {ACCEPTED_FORMS}"
        ) from None
    if config["ENGINE"] not in SUPPORTED_ENGINES:
        raise ImproperlyConfigured(
            f"{variable} names an unsupported backend ({config['ENGINE']}). "
            f"Accepted forms: {ACCEPTED_FORMS}"
        )
    if not config["NAME"]:
        raise ImproperlyConfigured(
            f"{variable} has no database name. Accepted forms: {ACCEPTED_FORMS}"
        )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        _tune_sqlite(config, base_dir)
    elif config["ENGINE"] == "django.db.backends.mysql":
        _tune_mariadb(config)
    else:
        options = config.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT)
        if hosts:
            config["HOST"] = ",".join(host for host, _ in hosts)
            # libpq takes one port for every host, or one per host (empty: the default).
            ports = [port for _, port in hosts]
            config["PORT"] = ",".join(ports) if any(ports) else ""
            options.setdefault("target_session_attrs", session_attrs)
        if options.get("target_session_attrs", "any") not in SESSION_ATTRS:
            raise ImproperlyConfigured(
                f"{variable} has target_session_attrs={options['target_session_attrs']}; "
                f"libpq takes one of {', '.join(sorted(SESSION_ATTRS))}"
            )
    return config


def _split_hosts(url: str, variable: str) -> tuple[str, list[tuple[str, str]]]:
    """A PostgreSQL URL naming several hosts (`HOST1:PORT1,HOST2:PORT2`, libpq's own form), which
    dj-database-url cannot parse: (the URL with the first host alone, [(host, port), ...]).
    Other URLs come back unchanged, with no hosts."""
    match = HOST_LIST.match(url)
    if not match:
        return url, []
    hosts = []
    for entry in match["hosts"].split(","):
        host, colon, port = entry.rpartition(":")
        if not colon:
            host, port = entry, ""
        if not host or (colon and not (PORT.match(port) and 0 < int(port) < 65536)):
            raise ImproperlyConfigured(
                f"{variable} is not a database URL we can use (host {entry!r} of "
                f"{match['hosts']!r} is not HOST or HOST:PORT). Accepted forms: {ACCEPTED_FORMS}"
            )
        hosts.append((host, port))
    return match["scheme"] + match["hosts"].split(",")[0] + url[match.end() :], hosts


def replicas_from_urls(
    urls: str | None, primary: dict[str, Any], base_dir: Path
) -> dict[str, dict[str, Any]]:
    """`DATABASE_REPLICA_URLS` (comma-separated) → {"replica_1": {...}, "replica_2": ...}. A URL
    listing several hosts (a Patroni cluster) prefers a standby among them.

    Replicas are PostgreSQL streaming standbys of a PostgreSQL primary: the lag check in
    replicas/status.py speaks PostgreSQL. The test runner never creates or migrates them:
    TEST MIRROR points each at the primary's test database."""
    replicas = {}
    for number, url in enumerate(_split_urls(urls or ""), 1):
        variable = f"DATABASE_REPLICA_URLS (replica {number})"
        config = database_from_url(
            url, base_dir, variable=variable, session_attrs=REPLICA_SESSION_ATTRS
        )
        if not config["ENGINE"] == primary["ENGINE"] == POSTGRESQL:
            raise ImproperlyConfigured(
                f"{variable} is {config['ENGINE'].rsplit('.', 1)[-1]} and DATABASE_URL is "
                f"{primary['ENGINE'].rsplit('.', 1)[-1]}: replicas must be PostgreSQL streaming "
                "standbys of a PostgreSQL DATABASE_URL"
            )
        config["TEST"] = {"MIRROR": "default"}
        replicas[f"replica_{number}"] = config
    return replicas


def _split_urls(urls: str) -> list[str]:
    """Comma-separated URLs, where a URL may list hosts with commas too: a comma belongs to
    a host list when it comes before the end of the host part (the `/` before the name)."""
    split: list[str] = []
    for piece in urls.split(","):
        if split and "/" not in split[-1].partition("://")[2]:
            split[-1] += "," + piece
        else:
            split.append(piece)
    return [url.strip() for url in split if url.strip()]


def tune_connections(config: dict[str, Any], pool: bool, pgbouncer: bool) -> None:
    """DATABASE_POOL=on: psycopg's pool in each worker process. DATABASE_PGBOUNCER=on: the app
    talks to PgBouncer in transaction mode, where consecutive transactions of one connection
    may run on different server connections, so no cursor may outlive a transaction (Django
    already turns psycopg's prepared statements off, for the same reason)."""
    if not (pool or pgbouncer):
        return
    if config["ENGINE"] != POSTGRESQL:
        variable = "DATABASE_POOL" if pool else "DATABASE_PGBOUNCER"
        raise ImproperlyConfigured(
            f"{variable}=on works with PostgreSQL only; DATABASE_URL is "
            f"{config['ENGINE'].rsplit('.', 1)[-1]}"
        )
    if pool:
        config["OPTIONS"]["pool"] = dict(POOL_OPTIONS)
        # Django refuses a pool with persistent connections: the pool keeps them instead.
        config["CONN_MAX_AGE"] = 0
    if pgbouncer:
        config["DISABLE_SERVER_SIDE_CURSORS"] = True


def _tune_sqlite(config: dict[str, Any], base_dir: Path) -> None:
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


def _tune_mariadb(config: dict[str, Any]) -> None:
    config["OPTIONS"] = {
        # utf8mb4 stores 4-byte characters (emoji); Django 5.2 asks for it, the database must
        # use it too (see the README). Strict mode turns silent truncation into an error; for
        # all tables, not only transactional ones: a statement whose trigger also writes
        # Mroonga's table (blog/migrations/0005) would otherwise truncate a bad value after its
        # first row with a mere warning.
        "charset": "utf8mb4",
        "init_command": "SET sql_mode='STRICT_ALL_TABLES'",
        "isolation_level": "read committed",
    }
    # The *_ci collation is what makes "Mary" and "mary" collide on MariaDB (see accounts.User).
    config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
