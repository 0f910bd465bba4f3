"""Bad input, in one table: each case is refused with a clear message (a field error in the admin,
one line on the command line, never a traceback) and writes nothing."""

import sqlite3
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.urls import reverse

from accounts.models import User
from blog.models import Post
from tests.factories import UserFactory
from tests.servers import closed_port
from tests.test_admin import post_form, user_form

LONG_EMAIL = "m" * 60 + "@" + "a" * 56 + ".com"  # 121 characters, otherwise valid


def admin_form_errors(response):
    # 200 is the form shown again; a saved object would redirect (302).
    assert response.status_code == 200
    return {
        field: " ".join(errors)
        for field, errors in response.context["adminform"].form.errors.items()
    }


def add_post(**changes):
    def attempt(ctx):
        form = post_form(ctx.mary, "a fine post") | changes
        return admin_form_errors(ctx.client.post(reverse("admin:blog_post_add"), form))

    return attempt


def add_user(**changes):
    def attempt(ctx):
        form = user_form("newcomer", "newcomer@example.com") | changes
        return admin_form_errors(ctx.client.post(reverse("admin:accounts_user_add"), form))

    return attempt


def one_line(result):
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return {"command line": result.stderr.strip()}


def manage_py(**env):
    """`manage.py dev_admin` (it would write an admin user) with the given environment."""
    return lambda ctx: one_line(ctx.manage("dev_admin", env=env))


def unmigrated_database(ctx):
    database = ctx.tmp_path / "new.db"
    shown = one_line(ctx.manage("dev_admin", env={"DATABASE_URL": f"sqlite:///{database}"}))
    # Not even a table appeared in the new database.
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    return shown


def closed_postgresql_port(ctx):
    url = f"postgres://postgres@127.0.0.1:{closed_port()}/microblog"
    return one_line(ctx.manage("dev_admin", env={"DATABASE_URL": url}))


@dataclass(frozen=True)
class Bad:
    what: str
    attempt: object  # a function of the test's context, returning {where: message shown}
    where: str
    message: str


CASES = [
    Bad("over-long body", add_post(body="x" * 141), "body", "at most 140 characters (it has 141)"),
    Bad("empty body", add_post(body=""), "body", "This field is required."),
    Bad("blank body", add_post(body="   "), "body", "This field is required."),
    Bad("post without author", add_post(author=""), "author", "This field is required."),
    Bad("unknown author", add_post(author=10**9), "author", "Select a valid choice."),
    Bad("over-long username", add_user(username="m" * 65), "username", "at most 64 characters"),
    Bad("username with a space", add_user(username="mary ann"), "username", "valid username"),
    Bad("over-long email", add_user(email=LONG_EMAIL), "email", "at most 120 characters"),
    Bad("invalid email", add_user(email="mary.mail.com"), "email", "Enter a valid email address."),
    Bad(
        "case-variant duplicate username",
        add_user(username="MARY"),
        "username",
        "A user with that username already exists.",
    ),
    Bad(
        "case-variant duplicate email",
        add_user(email="Mary@Mail.COM"),
        "email",
        "A user with that email address already exists.",
    ),
    Bad(
        "passwords that differ",
        add_user(password2="another horse battery staple"),
        "password2",
        "The two password fields didn\u2019t match.",
    ),
    Bad(
        "malformed DATABASE_URL",
        manage_py(DATABASE_URL="postgres://u@h:notaport/db"),
        "command line",
        "error: DATABASE_URL is not a database URL we can use (",
    ),
    Bad(
        "unsupported DATABASE_URL scheme",
        manage_py(DATABASE_URL="oracle://u:p@h:1521/db"),
        "command line",
        "error: DATABASE_URL names an unsupported backend (django.db.backends.oracle)",
    ),
    Bad(
        "unmigrated database",
        unmigrated_database,
        "command line",
        "has no table accounts_user: it is not migrated yet. Run `python manage.py migrate`",
    ),
    Bad(
        "PostgreSQL on a closed port",
        closed_postgresql_port,
        "command line",
        "error: cannot connect to the PostgreSQL server at 127.0.0.1:",
    ),
    Bad(
        "production without SECRET_KEY",
        manage_py(DJANGO_ENV="production", ALLOWED_HOSTS="microblog.example.com"),
        "command line",
        "error: SECRET_KEY must be set when DJANGO_ENV=production",
    ),
    Bad(
        "production without ALLOWED_HOSTS",
        manage_py(DJANGO_ENV="production", SECRET_KEY="k" * 50),
        "command line",
        "error: ALLOWED_HOSTS must be set when DJANGO_ENV=production",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[case.what for case in CASES])
def test_bad_input_is_refused_with_a_clear_message_and_writes_nothing(
    case, admin_client, manage, tmp_path
):
    mary = UserFactory(username="mary", email="mary@mail.com")
    ctx = SimpleNamespace(client=admin_client, manage=manage, tmp_path=tmp_path, mary=mary)
    rows_before = (User.objects.count(), Post.objects.count())

    shown = case.attempt(ctx)

    assert case.message in shown.get(case.where, ""), shown
    # Refused means refused entirely: no user, no post, not even half of one.
    assert (User.objects.count(), Post.objects.count()) == rows_before
