"""The tutorial's own databases (tests/fixtures/flask_dbs/, made by its migrations at each chapter:
scripts/build_flask_fixtures.py), read independently of the importer, and copied onto the database
servers here as a Flask app deployed on them would hold them."""

import os
import shutil
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

import sqlalchemy as sa
from django.db import connection

FIXTURES = Path(__file__).parent / "fixtures" / "flask_dbs"
# Chapters 4 (database), 5 (logins), 8 (followers) and 23 (the finished app), of both editions.
CHAPTERS = ["v0.4", "v0.5", "v0.8", "v0.23"]
EDITIONS = ["2018", "2024"]
FIXTURE_NAMES = [f"{chapter}-{edition}" for chapter in CHAPTERS for edition in EDITIONS]
# What set_password was given in the fixtures (chapter 5 on); bob's name Django refuses.
PASSWORDS = {"mary": "mary's flask password", "bob smith": "bob's flask password"}


def fixture(name):
    return FIXTURES / f"{name}.db"


def fixture_copy(name, directory):
    """A copy of the fixture that a test may change."""
    return Path(shutil.copy(fixture(name), directory / f"{name}.db"))


def source_rows(url):
    """(users, posts) as the Flask database at the SQLAlchemy `url` holds them, posts' timestamps
    as aware UTC: what an import must bring across."""
    user = sa.table("user", *map(sa.column, ("id", "username", "email")))
    # Typed, so that SQLAlchemy parses SQLite's text as the Flask app does.
    timestamp = sa.column("timestamp", sa.DateTime)
    post = sa.table("post", *map(sa.column, ("id", "user_id", "body")), timestamp)
    engine = sa.create_engine(url)
    with engine.connect() as flask_db:
        users = flask_db.execute(sa.select(user).order_by(user.c.id))
        posts = flask_db.execute(sa.select(post).order_by(post.c.id))
        result = (
            [tuple(row) for row in users],
            [(*row[:3], row[3].replace(tzinfo=UTC)) for row in posts],
        )
    engine.dispose()
    return result


def scratch_database_name(label):
    """A server database name for this test run alone: after the run's own test database when
    it is on a server (unique to the run by the project's rules), else after this process."""
    if connection.vendor in ("postgresql", "mysql"):
        return f"{connection.settings_dict['NAME']}_{label}"
    return f"microblog_flask_{label}_{os.getpid()}"


@contextmanager
def on_server(fixture_name, server, database):
    """The fixture's tables and rows in a new database on `server` (tests/servers.py), yielding
    its SQLAlchemy URL; dropped afterwards. The columns keep their generic types (VARCHAR(64),
    DATETIME, ...), as the chapter's migrations create them on that server."""
    driver = {"PostgreSQL": "postgresql+psycopg", "MariaDB": "mysql+mysqldb"}[server["name"]]
    root = f"{driver}://{server['user']}@{server['host']}:{server['port']}"
    admin = sa.create_engine(
        root + ("/postgres" if server["name"] == "PostgreSQL" else ""),
        isolation_level="AUTOCOMMIT",
    )
    quote = admin.dialect.identifier_preparer.quote
    with admin.connect() as c:
        c.execute(sa.text(f"DROP DATABASE IF EXISTS {quote(database)}"))
        c.execute(sa.text(f"CREATE DATABASE {quote(database)}"))
    url = f"{root}/{database}" + ("?charset=utf8mb4" if server["name"] == "MariaDB" else "")
    source = sa.create_engine(f"sqlite:///{fixture(fixture_name)}")
    target = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(source)
        for table in metadata.tables.values():
            for column in table.columns:
                column.type = column.type.as_generic()
        metadata.create_all(target)
        with source.connect() as reading, target.begin() as writing:
            for table in metadata.sorted_tables:
                rows = [dict(row._mapping) for row in reading.execute(table.select())]
                if rows:
                    writing.execute(table.insert(), rows)
        yield url
    finally:
        source.dispose()
        target.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {quote(database)}"))
        admin.dispose()
