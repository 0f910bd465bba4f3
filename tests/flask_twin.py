"""Databases of the chapter's Flask twins (contrast/flask_app/, contrast/flask_app_2024/), made by
their own tools."""

import sqlite3

from tests.child_process import run_python


def flask(*args, database, twin="flask_app"):
    """`flask --app contrast.<twin> ...` on `database` (a SQLite file, or a SQLAlchemy URL), as a
    user runs it; `twin` is flask_app (the 2018 edition) or flask_app_2024."""
    env = {"DATABASE_URL": sqlalchemy_url(database)}
    return run_python("-m", "flask", "--app", f"contrast.{twin}", *args, env=env)


def sqlalchemy_url(database):
    """A SQLite file's URL, or the URL given."""
    return str(database) if "://" in str(database) else f"sqlite:///{database}"


def upgraded_flask_db(path, twin="flask_app"):
    """A new Flask database at `path`, migrated by `flask db upgrade` (both chapter migrations)."""
    result = flask("db", "upgrade", database=path, twin=twin)
    assert result.returncode == 0, result.stderr
    return path


def execute(path, sql, parameters=()):
    """One SQL statement on a Flask database, committed."""
    flask_db = sqlite3.connect(path)
    with flask_db:
        flask_db.execute(sql, parameters)
    flask_db.close()


def insert(path, table, *rows):
    """Rows straight into a Flask database ({column: value} dicts), as its app stores them."""
    for row in rows:
        marks = ", ".join("?" for _ in row)
        execute(
            path, f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", list(row.values())
        )
