"""Databases of the chapter's Flask app (contrast/flask_app/), made by its own tools."""

import sqlite3

from tests.child_process import run_python


def flask(*args, database):
    """`flask --app contrast.flask_app ...` on the SQLite file `database`, as a user runs it."""
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    return run_python("-m", "flask", "--app", "contrast.flask_app", *args, env=env)


def upgraded_flask_db(path):
    """A new Flask database at `path`, migrated by `flask db upgrade` (both chapter migrations)."""
    result = flask("db", "upgrade", database=path)
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
