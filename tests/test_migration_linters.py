"""The migration linters over this project's own migrations (make lint-migrations): a new migration
that renames, drops, narrows or locks a table fails here, on every backend the suite runs on
(django-migration-linter), and on PostgreSQL's SQL (squawk), as do the Flask twins' migrations.
A reviewed exception is marked in the migration itself, with why."""

import inspect
import os
import subprocess
import sys
import tomllib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from contrast.schema_changes.linters import squawk, squawk_ignores
from contrast.schema_changes.run import OFFLINE_POSTGRESQL

ROOT = Path(__file__).resolve().parent.parent
OUR_APPS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["django_migration_linter"][
    "include_apps"
]
# The migrations reviewed and marked IgnoreMigration(), each saying why in a comment above it.
REVIEWED_EXCEPTIONS = {
    ("accounts", "0002_password_256"),
    ("blog", "0002_newest_first_index"),
    ("blog", "0004_body_trigram_table_on_sqlite"),
    ("blog", "0005_body_ngram_table_on_mariadb"),
    ("spreadsheets", "0003_import_failed_state"),
}
TWINS = ("flask_app", "flask_app_2024")


def our_migrations() -> dict[tuple[str, str], Path]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {
        key: Path(inspect.getfile(type(migration)))
        for key, migration in loader.disk_migrations.items()
        if key[0] in OUR_APPS
    }


@pytest.mark.django_db(transaction=True)  # sqlmigrate on SQLite cannot run inside a transaction
def test_every_migration_of_ours_passes_the_django_migration_linter(capsys):
    try:
        call_command("lintmigrations")
    except SystemExit:
        lines = capsys.readouterr().out.splitlines()
        flagged = "\n".join(line for line in lines if not line.endswith(("IGNORE", "OK")))
        pytest.fail(f"lintmigrations flags a migration:\n{flagged}")
    output = capsys.readouterr().out
    # Only the reviewed exceptions were left out, and every other migration of ours was read.
    for app, name in our_migrations():
        verdict = "IGNORE" if (app, name) in REVIEWED_EXCEPTIONS else "OK"
        assert f"({app}, {name})... {verdict}\n" in output


def test_each_reviewed_exception_says_why_in_the_migration():
    for key, path in our_migrations().items():
        source = path.read_text()
        assert ("IgnoreMigration()" in source) == (key in REVIEWED_EXCEPTIONS), key
        if "IgnoreMigration()" in source:
            assert "# Reviewed for the migration linters (make lint-migrations)" in source, key
        for rule, why in squawk_ignores(source).items():
            assert len(why) > 20, f"{key}: squawk-ignore {rule} without a reason"


@pytest.mark.django_db(transaction=True)  # sqlmigrate on SQLite cannot run inside a transaction
def test_the_postgresql_sql_of_every_migration_of_ours_passes_squawk():
    if connection.vendor != "postgresql":
        pytest.skip("squawk reads PostgreSQL's SQL: the suite's PostgreSQL run checks it")
    findings = {}
    for (app, name), path in our_migrations().items():
        sql = StringIO()
        call_command("sqlmigrate", app, name, stdout=sql)
        found = squawk(sql.getvalue(), [path.read_text()])
        if found:
            findings[f"{app}.{name}"] = found
    assert findings == {}


@pytest.mark.parametrize("twin", TWINS)
def test_the_flask_twins_migrations_pass_squawk(twin):
    # `flask db upgrade --sql`: Alembic's offline mode writes PostgreSQL's SQL without a server.
    env = {**os.environ, "DATABASE_URL": OFFLINE_POSTGRESQL}
    upgrade = subprocess.run(
        [sys.executable, "-m", "flask", "--app", f"contrast.{twin}", "db", "upgrade", "--sql"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    sources = [path.read_text() for path in (ROOT / "contrast" / twin).glob("migrations/*/*.py")]
    assert "CREATE TABLE post" in upgrade.stdout
    assert squawk(upgrade.stdout, sources) == []


def test_squawk_flags_an_unsafe_statement_unless_its_migration_marks_a_reviewed_exception():
    rename = 'ALTER TABLE "post" RENAME COLUMN "body" TO "text";\n'

    assert squawk(rename, []) == ["renaming-column: Renaming a column may break existing clients."]
    # The review's mark, in the migration's source, with its reason.
    reviewed = "# squawk-ignore renaming-column: the old code is stopped before this runs\n"
    assert squawk(rename, [reviewed]) == []
