"""On MariaDB the admin's post search reads Mroonga's N-gram table (migration 0005), and stays
right whatever that table gets wrong: rolled-back writes, deleted posts, a backup and restore.
Where DATABASE_URL names another backend, 0005 does nothing."""

import os

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import ConnectionHandler
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backup_restore.dumps import backup
from blog.migration_operations import has_mroonga
from blog.models import Post
from blog.search import NGRAM_TABLE
from microblog.database import database_from_url
from tests.child_process import PROJECT_ROOT
from tests.factories import PostFactory
from tests.test_backup import restored_database, run_restore_steps  # noqa: F401 (a fixture)

CHANGELIST = reverse("admin:blog_post_changelist")


@pytest.fixture
def mroonga():
    """Skip unless DATABASE_URL names MariaDB; there, Mroonga must be loaded (make mroonga),
    and in CI its absence fails the test."""
    if connection.vendor != "mysql":
        pytest.skip(f"Mroonga is MariaDB's; DATABASE_URL names {connection.vendor}")
    if not has_mroonga(connection):
        message = "MariaDB has not loaded Mroonga (make mroonga)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}, but CI must test MariaDB's search index")
        pytest.skip(f"SKIPPED, NOT TESTED: {message}")
    # Start from an empty table: it keeps what earlier tests wrote (Mroonga ignores ROLLBACK,
    # and the flush after a transactional test empties blog_post with TRUNCATE, which fires no
    # trigger), while the posts' ids start again from 1.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {NGRAM_TABLE}")


def found(client, words):
    """The bodies the admin's search finds, checking it read the N-gram table to find them."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST, {"q": words})
    assert response.status_code == 200
    assert any(NGRAM_TABLE in query["sql"] for query in queries), "the table was not read"
    return [post.body for post in response.context["cl"].result_list]


def ngram_text(post):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT body FROM {NGRAM_TABLE} WHERE post_id = %s", [post.pk])
        row = cursor.fetchone()
    return row and row[0]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_edit_or_delete_leaves_the_post_findable_by_its_words(admin_client, mroonga):
    edited, deleted = PostFactory(body="coffee and code"), PostFactory(body="tea for two")

    with transaction.atomic():
        edited.body = "espresso and code"
        edited.save()
        Post.objects.filter(pk=deleted.pk).delete()
        transaction.set_rollback(True)

    # Mroonga kept what the transaction wrote (it ignores ROLLBACK)...
    assert "espresso" in ngram_text(edited)
    assert ngram_text(deleted) == "tea for two"
    # ...but also the text the posts still have, so both are found by it, and only by it.
    assert found(admin_client, "coffee") == ["coffee and code"]
    assert found(admin_client, "tea for") == ["tea for two"]
    assert found(admin_client, "espresso") == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_insert_is_not_found(admin_client, mroonga):
    PostFactory(body="a post that stays")

    with transaction.atomic():
        PostFactory(body="a post that never was")
        transaction.set_rollback(True)

    assert found(admin_client, "never was") == []
    assert found(admin_client, "stays") == ["a post that stays"]


@pytest.mark.django_db(transaction=True)
def test_an_edited_or_deleted_post_is_found_by_its_new_words_only(admin_client, mroonga):
    edited, deleted = PostFactory(body="coffee and code"), PostFactory(body="tea for two")

    edited.body = "espresso and code"
    edited.save()
    deleted.delete()

    # The table still holds the old words (it only ever adds); icontains drops them.
    assert ngram_text(edited) == "coffee and code\nespresso and code"
    assert found(admin_client, "coffee") == []
    assert found(admin_client, "espresso") == ["espresso and code"]
    assert found(admin_client, "tea") == []


@pytest.mark.django_db
def test_saving_an_unchanged_body_adds_nothing_to_the_table(mroonga):
    post = PostFactory(body="the same words")

    post.save()
    post.save()

    assert ngram_text(post) == "the same words"


@pytest.mark.django_db
def test_words_found_by_the_table_mean_what_icontains_means(admin_client, mroonga):
    # Mroonga ignores spaces and folds accents and case; icontains decides.
    PostFactory(body="Café au lait")
    PostFactory(body="cafeau")

    assert found(admin_client, "CAFE") == ["cafeau", "Café au lait"]
    assert found(admin_client, '"cafe au"') == ["Café au lait"]
    assert found(admin_client, "feau") == ["cafeau"]


@pytest.mark.django_db
@pytest.mark.parametrize("words", ['"  "', "b", "  "])
def test_blank_and_one_letter_words_are_left_to_icontains(admin_client, mroonga, words):
    # Mroonga ignores spaces, so it would find nothing for them; `icontains` finds two.
    PostFactory(body="a  b")

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST, {"q": words})

    assert [post.body for post in response.context["cl"].result_list] == ["a  b"]
    assert not any(NGRAM_TABLE in query["sql"] for query in queries)


@pytest.fixture
def restore_schema():
    yield
    call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_without_the_table_search_reads_every_post_and_check_says_how_to_add_it(
    admin_client, mroonga, restore_schema
):
    PostFactory(body="coffee and code")
    assert not [m for m in run_checks() if m.id == "blog.W001"]

    # As on a server that had no Mroonga when 0005 ran: applied, and nothing made.
    call_command("migrate", "blog", "0004", verbosity=0)
    call_command("migrate", "blog", "0005", fake=True, verbosity=0)
    assert NGRAM_TABLE not in connection.introspection.table_names()

    response = admin_client.get(CHANGELIST, {"q": "coffee"})
    assert [post.body for post in response.context["cl"].result_list] == ["coffee and code"]
    (warning,) = [m for m in run_checks() if m.id == "blog.W001"]
    assert "make mroonga" in warning.hint
    assert "manage.py migrate blog 0004 && manage.py migrate" in warning.hint

    # The hint's steps build the table from the posts already there.
    call_command("migrate", "blog", "0004", verbosity=0)
    call_command("migrate", verbosity=0)
    assert found(admin_client, "coffee") == ["coffee and code"]
    assert not [m for m in run_checks() if m.id == "blog.W001"]


@pytest.mark.django_db
def test_the_migration_makes_no_table_on_other_backends():
    if connection.vendor == "mysql":
        pytest.skip("on MariaDB it does: the tests above")
    assert NGRAM_TABLE not in connection.introspection.table_names()
    assert not [m for m in run_checks() if m.id == "blog.W001"]


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_bring_the_table_and_its_triggers_along(
    tmp_path,
    mroonga,
    restored_database,  # noqa: F811 (the fixture imported above)
):
    PostFactory(body="backed up with coffee")
    done = backup(f"{tmp_path}/")

    # With docs/production.md's steps, into a new database.
    restored = run_restore_steps(done.path, restored_database)

    assert restored.returncode == 0, restored.stderr
    other = ConnectionHandler(
        {"default": database_from_url(restored_database["url"], PROJECT_ROOT)}
    )["default"]
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "INSERT INTO blog_post (body, timestamp, author_id) "
                "SELECT 'restored with tea', NOW(), author_id FROM blog_post"
            )
            cursor.execute(
                f"SELECT body FROM blog_post WHERE id IN (SELECT post_id FROM {NGRAM_TABLE} "
                "WHERE MATCH(body) AGAINST(%s IN BOOLEAN MODE)) ORDER BY id",
                ['+"with"'],
            )
            # The restored table's rows, and the restored trigger's for a new post.
            assert cursor.fetchall() == (("backed up with coffee",), ("restored with tea",))
    finally:
        other.close()
