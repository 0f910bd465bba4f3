"""Turns the start-up errors a user can fix (bad settings, a database that is down, missing or not
migrated) into one line naming the cause and the fix, instead of a traceback."""

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
SERVER_NAMES = {"postgresql": "PostgreSQL", "mysql": "MariaDB/MySQL"}
# mysqlclient error codes: https://mariadb.com/kb/en/mariadb-error-codes/
MYSQL_SERVER_DOWN = {2002, 2003, 2005, 2006, 2013}
MYSQL_LOGIN_REFUSED = {1044, 1045, 1698}
MYSQL_UNKNOWN_DATABASE = 1049
MYSQL_NO_SUCH_TABLE = 1146


@contextmanager
def one_line_errors(show_traceback: bool = False) -> Iterator[None]:
    """Exit with `error: ...` for the errors below; `--traceback` shows the full story instead."""
    try:
        yield
    except ImproperlyConfigured as exc:
        if show_traceback:
            raise
        # Some of Django's own messages span lines ("Error loading MySQLdb module.\nDid you...").
        sys.exit(f"error: {' '.join(str(exc).split())}")
    except DatabaseError as exc:
        message = describe_database_error(exc, connection.vendor, connection.settings_dict)
        if show_traceback or message is None:
            raise
        sys.exit(f"error: {message} (add --traceback for details)")


def describe_database_error(
    exc: DatabaseError, vendor: str, settings_dict: dict[str, Any]
) -> str | None:
    """One line for a database error a user can fix, or None for any other (a real bug)."""
    text = str(exc)
    name = settings_dict["NAME"]
    if vendor == "sqlite":
        table = re.search(r"no such table: (\w+)", text)
        if table:
            return _not_migrated(table.group(1), f"the SQLite database {name}")
        if "unable to open database file" in text:
            return f"cannot open the SQLite database {name}: is its folder there and writable?"
        return None

    host = settings_dict["HOST"] or "localhost"
    port = settings_dict["PORT"] or DEFAULT_PORTS.get(vendor, "")
    server = f"the {SERVER_NAMES.get(vendor, vendor)} server at {host}:{port}"
    user = settings_dict["USER"]
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None

    if vendor == "postgresql":
        table = re.search(r'relation "(\w+)" does not exist', text)
        if table:
            return _not_migrated(table.group(1), f'the database "{name}" on {server}')
        if f'database "{name}" does not exist' in text:
            return (
                f'the database "{name}" does not exist on {server}; '
                f"create it with: createdb -h {host} -p {port} -U {user} {name}"
            )
        if "authentication failed" in text or re.search(r'role "[^"]*" does not exist', text):
            return _login_refused(server, user)
        if "connection" in text and ("failed" in text or "refused" in text or "timeout" in text):
            return f"cannot connect to {server}: is it running? ({_reason(text)})"
    elif vendor == "mysql":
        if code == MYSQL_NO_SUCH_TABLE:
            table = re.search(r"Table '[^.']*\.(\w+)' doesn't exist", text)
            where = f'the database "{name}" on {server}'
            return _not_migrated(table.group(1) if table else "?", where)
        if code == MYSQL_UNKNOWN_DATABASE:
            return (
                f'the database "{name}" does not exist on {server}; create it with: '
                f'mysql -h {host} -P {port} -u {user} -p -e "CREATE DATABASE {name} '
                f'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"'
            )
        if code in MYSQL_LOGIN_REFUSED:
            return _login_refused(server, user)
        if code in MYSQL_SERVER_DOWN:
            return f"cannot connect to {server}: is it running? ({_reason(text)})"
    return None


def _not_migrated(table: str, where: str) -> str:
    return (
        f"{where} has no table {table}: it is not migrated yet. "
        "Run `python manage.py migrate` (`make run` does it for you)"
    )


def _login_refused(server: str, user: str) -> str:
    return (
        f'{server} refused the login for user "{user}": check the user and password in DATABASE_URL'
    )


def _reason(text: str) -> str:
    """The driver's own words, on one line."""
    return " ".join(text.split())[:200]
