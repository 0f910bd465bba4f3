"""Django's migrations do what the chapter's Alembic ones do: go up, come down, go up again."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from accounts.models import User
from tests.factories import PostFactory, UserFactory


def tables():
    return set(connection.introspection.table_names())


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, verbosity=1)
    return out.getvalue()


@pytest.fixture
def restore_schema():
    """Whatever a test rolls back, the next test finds every table again."""
    yield
    call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_migrations_go_down_and_up_again_keeping_the_users(restore_schema):
    mary = UserFactory(username="mary")
    PostFactory(author=mary)

    # The chapter's `flask db downgrade` of "posts table": the posts go, the users stay.
    run("migrate", "blog", "zero")
    assert "blog_post" not in tables()
    assert User.objects.get().username == "mary"

    # And `flask db upgrade` again: an empty posts table, mary still there to write in it.
    run("migrate", "blog")
    assert "blog_post" in tables()
    assert list(mary.posts.all()) == []
    PostFactory(author=mary)

    # Down to nothing ("users table" too, and whatever depends on it), then all the way up.
    run("migrate", "accounts", "zero")
    assert not {"accounts_user", "blog_post"} & tables()
    run("migrate")
    assert {"accounts_user", "blog_post"} <= tables()
    assert User.objects.count() == 0


def test_showmigrations_lists_the_chapters_two_migrations(db):
    output = run("showmigrations", "accounts", "blog")

    assert "[X] 0001_users_table" in output
    assert "[X] 0001_posts_table" in output


def test_sqlmigrate_shows_the_tables_constraints_and_indexes(transactional_db):
    # transactional_db: SQLite cannot start a schema editor inside the test transaction.
    sql = run("sqlmigrate", "blog", "0001_posts_table")

    assert 'CREATE TABLE "blog_post"' in sql.replace("`", '"')
    assert "post_body_max_140" in sql
    assert "post_author_timeline_idx" in sql


def test_the_models_and_the_migrations_agree(db):
    # Fails (SystemExit) when a model changed without a migration: run makemigrations -n ...
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_rolling_back_the_wider_password_column_keeps_ordinary_users(restore_schema):
    mary = UserFactory(username="mary")

    run("migrate", "accounts", "0001_users_table")
    run("migrate", "accounts")

    assert User.objects.get().password == mary.password


@pytest.mark.django_db(transaction=True)
def test_rolling_back_the_wider_password_column_refuses_to_cut_long_hashes(restore_schema):
    # The length of a werkzeug scrypt hash as import_flask_db stores it.
    long_hash = "werkzeug_scrypt$scrypt:32768:8:1$" + "s" * 16 + "$" + "f" * 128
    User.objects.filter(pk=UserFactory(username="imported").pk).update(password=long_hash)

    with pytest.raises(CommandError, match=r"1 user\(s\) have longer password hashes.*imported"):
        run("migrate", "accounts", "0001_users_table")

    assert User.objects.get().password == long_hash
    assert "0002_password_256" in {
        name
        for app, name in MigrationRecorder(connection).applied_migrations()
        if app == "accounts"
    }
