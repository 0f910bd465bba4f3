"""`import_flask_db` and the usernames Flask took but Django refuses ("bob smith", "o'brien"):
listed and refused, renamed by a fixed rule, or kept."""

import sqlite3

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from accounts.models import User
from blog.models import Post
from microblog import settings as project_settings
from tests.factories import UserFactory
from tests.flask_fixtures import PASSWORDS, fixture, fixture_copy

pytestmark = pytest.mark.django_db

REFUSED = [
    "user #5 'bob smith': Django allows only letters, digits and @/./+/-/_, not space",
    'user #6 "o\'brien": Django allows only letters, digits and @/./+/-/_, not "\'"',
]


def usernames():
    return list(User.objects.order_by("id").values_list("id", "username"))


def add_users(path, *rows):
    """More users in a copy of a fixture: (id, username, email)."""
    flask_db = sqlite3.connect(path)
    with flask_db:
        flask_db.executemany('INSERT INTO "user" (id, username, email) VALUES (?, ?, ?)', rows)
    flask_db.close()


def test_refused_usernames_are_listed_and_stop_the_import_in_one_line(capsys):
    with pytest.raises(CommandError) as error:
        call_command("import_flask_db", str(fixture("v0.23-2024")))

    assert str(error.value) == (
        "nothing imported: 2 usernames that Django refuses (listed above); import with "
        "--rename-usernames or --keep-usernames, or change them in the Flask database"
    )
    assert capsys.readouterr().err.splitlines() == REFUSED
    assert (User.objects.count(), Post.objects.count()) == (0, 0)


def test_renaming_replaces_refused_characters_and_lists_each_rename(capsys, settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    call_command("import_flask_db", str(fixture("v0.23-2024")), "--rename-usernames")

    assert usernames() == [(1, "mary"), (2, "lucy"), (3, "Susan"), (5, "bob_smith"), (6, "o_brien")]
    output = capsys.readouterr().out
    assert (
        "Renamed, because Django refuses the name (--rename-usernames):\n"
        "  user #5 'bob smith' -> 'bob_smith' (Django allows only letters, digits and "
        "@/./+/-/_, not space)\n"
        "  user #6 \"o'brien\" -> 'o_brien' (Django allows only letters, digits and "
        '@/./+/-/_, not "\'")\n'
    ) in output
    # Bob logs in with his new name and his old password.
    login = RequestFactory().post("/admin/login/")  # as at the login form
    assert authenticate(login, username="bob_smith", password=PASSWORDS["bob smith"]).pk == 5
    # The admin's form would now accept an edit: the name passes Django's validator.
    User.objects.get(pk=5).full_clean()


def test_renaming_again_adds_nothing_and_renames_the_same_way(capsys):
    call_command("import_flask_db", str(fixture("v0.8-2018")), "--rename-usernames")
    before = usernames()

    call_command("import_flask_db", str(fixture("v0.8-2018")), "--rename-usernames")

    assert usernames() == before
    assert "Imported 0 users and 0 posts (5 users and 4 posts were already here)." in (
        capsys.readouterr().out
    )


def test_a_renamed_name_that_is_taken_gets_the_users_id(tmp_path, capsys):
    source = fixture_copy("v0.23-2024", tmp_path)
    add_users(
        source,
        (20, "bob_smith", "bob2@example.com"),  # a Flask user already called what bob becomes
        (21, "MARY", "mary2@example.com"),  # mary, ignoring case
        (22, "x" * 70, "long@example.com"),
        (23, "", "nameless@example.com"),
        (24, "???", "marks@example.com"),
    )
    UserFactory(id=100, username="O_Brien", email="admin@example.com")  # already here

    call_command("import_flask_db", str(source), "--rename-usernames")

    assert usernames() == [
        (1, "mary"),
        (2, "lucy"),
        (3, "Susan"),
        (5, "bob_smith-5"),
        (6, "o_brien-6"),
        (20, "bob_smith"),
        (21, "MARY-21"),
        (22, "x" * 64),
        (23, "user"),
        (24, "_"),
        (100, "O_Brien"),
    ]
    output = capsys.readouterr().out
    assert "user #21 'MARY' -> 'MARY-21' (user #1 is 'mary', the same name when letter case " in (
        output
    )
    assert f"user #22 '{'x' * 70}' -> '{'x' * 64}' (it is over 64 characters)" in output
    assert "user #23 '' -> 'user' (it is empty)" in output


def test_keeping_leaves_the_names_as_they_are_and_lists_them(capsys):
    call_command("import_flask_db", str(fixture("v0.23-2018")), "--keep-usernames")

    assert (5, "bob smith") in usernames()
    assert (6, "o'brien") in usernames()
    output = capsys.readouterr().out
    assert (
        "Kept as they are, though Django's username validator refuses them (--keep-usernames):\n"
        + "".join(f"  {line}\n" for line in REFUSED)
    ) in output


def test_names_the_database_cannot_hold_are_not_kept(tmp_path, capsys):
    source = fixture_copy("v0.23-2024", tmp_path)
    add_users(source, (21, "MARY", "mary2@example.com"), (22, "x" * 70, "long@example.com"))

    with pytest.raises(CommandError) as error:
        call_command("import_flask_db", str(source), "--keep-usernames")

    assert str(error.value) == (
        "nothing imported: 2 usernames cannot be kept as they are (listed above); import with "
        "--rename-usernames, or change them in the Flask database"
    )
    assert capsys.readouterr().err.splitlines() == [
        "user #21 'MARY': user #1 is 'mary', the same name when letter case is ignored",
        f"user #22 '{'x' * 70}': it is over 64 characters",
    ]
    assert User.objects.count() == 0


def test_renaming_and_keeping_cannot_both_be_asked_for(manage):
    result = manage(
        "import_flask_db", "--rename-usernames", "--keep-usernames", str(fixture("v0.4-2024"))
    )

    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr
