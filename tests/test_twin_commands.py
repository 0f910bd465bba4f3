"""Each Flask twin's own `flask db upgrade/downgrade` and `flask shell`, one `make` line each, as
the README shows them; and Django's own `shell`, which imports the models by itself."""

import re
import sqlite3
import subprocess

import pytest

from tests.child_process import PROJECT_ROOT, child_environment

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
# The README's `make flask-...` lines, without their comments.
COMMANDS = re.findall(r"^(make flask-[\w-]+(?: TWIN=\w+)?)", README, re.MULTILINE)


def make(command, database, stdin=None):
    """One README line, on the SQLite file `database`. `-o .venv/.installed`: never reinstall the
    venv from a test, even when a requirements file looks newer than it."""
    args = [
        *command.split(),
        "-s",
        "-o",
        ".venv/.installed",
        f"FLASK_DATABASE_URL=sqlite:///{database}",
    ]
    return subprocess.run(
        args,
        cwd=PROJECT_ROOT,
        env=child_environment(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def tables(database):
    flask_db = sqlite3.connect(database)
    names = {
        name for (name,) in flask_db.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    flask_db.close()
    return names


@pytest.mark.parametrize(
    ("twin", "has_sqlalchemys_modules"), [("", False), (" TWIN=flask_app_2024", True)]
)
def test_each_twins_upgrade_shell_and_downgrade_run_from_one_make_line(
    twin, has_sqlalchemys_modules, tmp_path
):
    database = tmp_path / "flask.db"
    upgrade, downgrade, shell = (
        f"make flask-{what}{twin}" for what in ("upgrade", "downgrade", "shell")
    )
    assert {upgrade, downgrade, shell} <= set(COMMANDS)

    assert make(upgrade, database).returncode == 0
    assert tables(database) == {"alembic_version", "user", "post"}

    # The shell has the models already imported, and in today's edition sa and so as well.
    session = "print(User.__tablename__, Post.__tablename__, db.session.query(User).count())\n"
    session += "print({'sa', 'so'} <= set(dir()))\n"
    result = make(shell, database, stdin=session)
    assert result.returncode == 0, result.stderr
    assert f"user post 0\n>>> {has_sqlalchemys_modules}\n" in result.stdout

    # One revision back: the posts table goes, the users table stays.
    assert make(downgrade, database).returncode == 0
    assert tables(database) == {"alembic_version", "user"}


def test_djangos_own_shell_imports_the_models(manage):
    result = manage("shell", "-v0", "-c", "print(User.__name__, Post.__name__)")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "User Post\n"
