"""`import_flask_db` on databases made by the tutorial's own migrations at chapters 4, 5, 8 and 23
of both editions: users and posts come across, and the report names everything else."""

import re
import shlex
import sqlite3
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import get_hasher
from django.core.management import call_command
from django.test import RequestFactory

from accounts.models import User
from blog.models import Post
from contrast.flask_sources import open_flask_database
from microblog import settings as project_settings
from tests.flask_fixtures import FIXTURE_NAMES, PASSWORDS, fixture, source_rows

pytestmark = pytest.mark.django_db

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "contrast.md"
# docs/contrast.md's example: the command after `$ .venv/bin/python manage.py `, then its output.
GUIDE_EXAMPLE = re.compile(
    r"^```console\n\$ \.venv/bin/python manage\.py (import_flask_db .*?)\n(.*?)^```",
    re.MULTILINE | re.DOTALL,
)

# Every table but user and post, and every column of theirs beyond chapter 4's, with what the
# fixtures hold (scripts/build_flask_fixtures.py): the same in both editions.
LEFT_BEHIND = {
    "v0.4": ["alembic_version: 1 row"],
    "v0.5": ["alembic_version: 1 row"],
    "v0.8": [
        "alembic_version: 1 row",
        "followers: 3 rows",
        "user.about_me: 2 values",  # lucy's is '', which is no value
        "user.last_seen: 2 values",
    ],
    "v0.23": [
        "alembic_version: 1 row",
        "followers: 3 rows",
        "message: 2 rows",
        "notification: 1 row",
        "task: 1 row",
        "user.about_me: 2 values",
        "user.last_seen: 2 values",
        "user.last_message_read_time: 1 value",
        "user.token: 1 value",
        "user.token_expiration: 1 value",
        "post.language: 2 values",  # langdetect's '' for "could not tell" is no value
    ],
}


def imported():
    return (
        list(User.objects.order_by("id").values_list("id", "username", "email")),
        list(Post.objects.order_by("id").values_list("id", "author_id", "body", "timestamp")),
    )


def left_behind(output):
    """The report's lines under "Left in the Flask database, not imported:"."""
    lines = output.split("Left in the Flask database, not imported:\n", 1)[1].splitlines()
    return [line.strip() for line in lines]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_chapter_of_both_editions_imports_and_names_what_it_leaves(name, capsys):
    before = fixture(name).read_bytes()

    call_command("import_flask_db", str(fixture(name)), "--keep-usernames")

    # Every user and post, as the Flask app itself reads them, to the microsecond.
    assert imported() == source_rows(f"sqlite:///{fixture(name)}")
    # Everything else is named, with its count.
    assert left_behind(capsys.readouterr().out) == LEFT_BEHIND[name.split("-")[0]]
    # The source was only read.
    assert fixture(name).read_bytes() == before


@pytest.mark.parametrize("name", ["v0.8-2018", "v0.23-2024"])
def test_a_dry_run_prints_the_same_report_and_writes_nothing(name, capsys):
    call_command("import_flask_db", str(fixture(name)), "--keep-usernames", "--dry-run")

    output = capsys.readouterr().out
    assert output.startswith("Dry run: would import 5 users and 4 posts")
    assert left_behind(output) == LEFT_BEHIND[name.split("-")[0]]
    assert imported() == ([], [])


@pytest.mark.parametrize(
    ("name", "werkzeug_method"),
    [("v0.5-2018", "pbkdf2:sha256:50000"), ("v0.23-2024", "scrypt:32768:8:1")],
)
def test_passwords_set_by_the_tutorials_set_password_log_in(name, werkzeug_method, settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    call_command("import_flask_db", str(fixture(name)), "--keep-usernames")
    assert User.objects.get(username="mary").password.split("$")[1] == werkzeug_method

    # A request, as at the login form (a login lockout counts failures by its address).
    login = RequestFactory().post("/admin/login/")
    assert authenticate(login, username="mary", password=PASSWORDS["mary"]).pk == 1
    # The first login re-hashed it with the project's first hasher.
    assert User.objects.get(pk=1).password.startswith(get_hasher("default").algorithm)
    # Users the tutorial made without set_password cannot log in.
    assert not User.objects.get(username="lucy").has_usable_password()


def test_the_sqlite_source_is_opened_read_only():
    with (
        open_flask_database(str(fixture("v0.4-2024"))) as flask_db,
        pytest.raises(sqlite3.OperationalError, match="readonly database"),
    ):
        flask_db.rows("DELETE FROM post")


def test_the_guides_example_report_is_what_the_command_prints(capsys):
    [(command, output)] = GUIDE_EXAMPLE.findall(GUIDE.read_text(encoding="utf-8"))

    call_command(*shlex.split(command))

    assert capsys.readouterr().out == output
