"""A Flask app's database, opened only to read: a SQLite file, or the PostgreSQL or MySQL/MariaDB
server its `DATABASE_URL` names. `import_flask_db` (contrast/flask_import.py) reads through it.
"""

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

# Column types whose empty string counts as "no value" in the report, as NULL does.
TEXT_TYPES = ("char", "text", "clob")


class SourceRefused(Exception):
    """The source cannot be read; the message says why in one line."""


class Connection(Protocol):
    """What FlaskDatabase uses of a DB-API connection: sqlite3's, psycopg's or mysqlclient's."""

    def cursor(self) -> Any: ...
    def close(self) -> None: ...


class FlaskDatabase:
    """One read-only transaction on the Flask database, so every count and row comes from the
    same moment even while the Flask app keeps writing."""

    def __init__(
        self, connection: Connection, name: str, quote_char: str, tables_sql: str, columns_sql: str
    ) -> None:
        self.connection = connection
        self.name = name  # for messages: the path, or the URL without its password
        self.quote_char = quote_char
        self.tables_sql = tables_sql
        self.columns_sql = columns_sql

    def quote(self, identifier: str) -> str:
        # `user` is a reserved word on PostgreSQL and must be quoted everywhere.
        return f"{self.quote_char}{identifier}{self.quote_char}"

    def rows(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        cursor.execute(sql, parameters)
        return cursor.fetchall()

    def tables(self) -> list[str]:
        return sorted(name for (name,) in self.rows(self.tables_sql))

    def columns(self, table: str) -> dict[str, bool]:
        """{column: is_text}, in the table's order."""
        return {
            name: any(kind in data_type.lower() for kind in TEXT_TYPES)
            for name, data_type in self.rows(self.columns_sql, (table,))
        }

    def count(self, table: str) -> int:
        return self.rows(f"SELECT count(*) FROM {self.quote(table)}")[0][0]

    def count_values(self, table: str, column: str, is_text: bool) -> int:
        """Rows where `column` holds something: not NULL, and for text not ''."""
        value = self.quote(column)
        if is_text:
            value = f"NULLIF({value}, '')"
        return self.rows(f"SELECT count({value}) FROM {self.quote(table)}")[0][0]


@contextmanager
def open_flask_database(source: str) -> Iterator[FlaskDatabase]:
    """The FlaskDatabase for `source`: a path, sqlite:///path, postgres://... or mysql://...
    (SQLAlchemy's forms, with or without a +driver); SourceRefused when it cannot be read."""
    scheme = urlsplit(source).scheme.split("+")[0] if "://" in source else "sqlite"
    if scheme == "sqlite":
        opener = _sqlite
    elif scheme in ("postgres", "postgresql"):
        opener = _postgresql
    elif scheme in ("mysql", "mariadb"):
        opener = _mysql
    else:
        raise SourceRefused(
            f"cannot import from a {scheme}:// database: give the Flask app's SQLite file (a path "
            "or a sqlite:/// URL), or its postgres:// or mysql:// DATABASE_URL"
        )
    flask_db = opener(source)
    try:
        yield flask_db
    finally:
        # Nothing was written: ending the read-only transaction by closing loses nothing.
        flask_db.connection.close()


def _sqlite(source: str) -> FlaskDatabase:
    # SQLAlchemy's form: sqlite:///relative/app.db, sqlite:////absolute/app.db
    path = Path(source.partition(":///")[2] if "://" in source else source)
    if not path.is_file():
        raise SourceRefused(f"{path if path.name else source}: no such file")
    # mode=ro: SQLite itself refuses any write, and creates no file.
    connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    try:
        connection.execute("BEGIN")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise SourceRefused(f"{path} is not a SQLite database ({exc})") from None
    return FlaskDatabase(
        connection,
        str(path),
        quote_char='"',
        tables_sql="SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%'",
        columns_sql="SELECT name, type FROM pragma_table_info(?) ORDER BY cid",
    )


def _server(source: str) -> tuple[dict[str, Any], str]:
    """(connection keywords, URL without the password) for a server URL."""
    url = urlsplit(source)
    user = f"{url.username}@" if url.username else ""
    name = url._replace(netloc=user + url.netloc.rpartition("@")[2]).geturl()  # no password
    if not url.path.strip("/"):
        raise SourceRefused(f"{name}: the URL names no database")
    try:
        port = url.port
    except ValueError:
        raise SourceRefused(f"{name}: the port is not a number") from None
    keywords = {
        "host": url.hostname or "localhost",
        "port": port,
        "user": unquote(url.username or ""),
        "password": unquote(url.password or ""),
        "database": unquote(url.path.strip("/")),
    }
    return {k: v for k, v in keywords.items() if v}, name


# Both servers answer the SQL standard's information_schema; only the current schema differs.
SERVER_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = {schema} AND table_type = 'BASE TABLE'"
)
SERVER_COLUMNS = (
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = {schema} AND table_name = %s ORDER BY ordinal_position"
)


def _postgresql(source: str) -> FlaskDatabase:
    import psycopg

    keywords, name = _server(source)
    keywords["dbname"] = keywords.pop("database")
    try:
        connection = psycopg.connect(**keywords, connect_timeout=10)
    except psycopg.Error as exc:
        raise SourceRefused(f"cannot read {name}: {_first_line(exc)}") from None
    # The first query opens the transaction: read-only, and one snapshot for all the queries.
    connection.read_only = True
    connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return FlaskDatabase(
        connection,
        name,
        quote_char='"',
        tables_sql=SERVER_TABLES.format(schema="current_schema()"),
        columns_sql=SERVER_COLUMNS.format(schema="current_schema()"),
    )


def _mysql(source: str) -> FlaskDatabase:
    try:
        import MySQLdb
    except ImportError:
        raise SourceRefused(
            "reading a mysql:// database needs the mysqlclient driver: run `make mysql-driver`"
        ) from None

    keywords, name = _server(source)
    renamed = {"password": "passwd", "database": "db"}
    keywords = {renamed.get(k, k): v for k, v in keywords.items()}
    try:
        connection = MySQLdb.connect(**keywords, charset="utf8mb4", connect_timeout=10)
        connection.cursor().execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
    except MySQLdb.Error as exc:
        raise SourceRefused(f"cannot read {name}: {_first_line(exc)}") from None
    return FlaskDatabase(
        connection,
        name,
        quote_char="`",
        tables_sql=SERVER_TABLES.format(schema="DATABASE()"),
        columns_sql=SERVER_COLUMNS.format(schema="DATABASE()"),
    )


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
