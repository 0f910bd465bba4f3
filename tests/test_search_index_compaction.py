"""`manage.py compact_search_index` takes the leftovers out of MariaDB's N-gram table (old bodies
of edited posts, deleted posts' text) while other connections write, and never leaves a post
unfindable. Elsewhere it says there is nothing to compact."""

import io
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from blog.models import Post
from blog.search import NGRAM_TABLE
from blog.search_compaction import compact_ngram_table
from tests.child_process import PROJECT_ROOT, child_environment
from tests.factories import PostFactory
from tests.test_mariadb_search import found, mroonga  # noqa: F401 (a fixture)


def compact(*args):
    out = io.StringIO()
    call_command("compact_search_index", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def table():
    """The N-gram table as {post id: text}."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT post_id, body FROM {NGRAM_TABLE}")
        return dict(cursor.fetchall())


def bodies():
    return dict(Post.objects.values_list("id", "body"))


def other_connection():
    """A second client of the test database, outside Django, as another process would be."""
    import MySQLdb  # only on MariaDB, where the `mroonga` fixture has checked for the driver

    settings = connection.settings_dict
    return MySQLdb.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=int(settings["PORT"] or 3306),
        user=settings["USER"],
        password=settings["PASSWORD"] or "",
        database=settings["NAME"],
        charset="utf8mb4",
    )


@pytest.mark.django_db(transaction=True)
def test_leftovers_of_edits_and_deletes_are_gone_and_every_post_is_still_found(
    admin_client,
    mroonga,  # noqa: F811
):
    kept = PostFactory(body="coffee and code")
    edited = PostFactory(body="tea for two")
    deleted = PostFactory(body="a deleted waffle")
    edited.body = "espresso for two"
    edited.save()
    deleted.delete()
    assert table()[edited.pk] == "tea for two\nespresso for two"

    output = compact("--batch-size", "2")

    # Each row is its post's body again; the deleted post's row is gone.
    assert table() == bodies() == {kept.pk: "coffee and code", edited.pk: "espresso for two"}
    assert "1 rows rewritten, 0 added, 1 removed" in output
    assert found(admin_client, "coffee") == ["coffee and code"]
    assert found(admin_client, "espresso") == ["espresso for two"]
    assert found(admin_client, "two") == ["espresso for two"]
    assert found(admin_client, "waffle") == []
    assert found(admin_client, "tea") == []


@pytest.mark.django_db(transaction=True)
def test_text_that_differs_only_as_the_collation_ignores_is_rewritten(mroonga):  # noqa: F811
    post = PostFactory(body="Café")
    with connection.cursor() as cursor:  # as if an edit had only changed the accent
        cursor.execute(f"UPDATE {NGRAM_TABLE} SET body = 'cafe ' WHERE post_id = %s", [post.pk])

    compact()

    assert table() == {post.pk: "Café"}


@pytest.mark.django_db(transaction=True)
def test_a_post_missing_from_the_table_is_added_and_a_clean_table_is_left_alone(
    mroonga,  # noqa: F811
):
    posts = PostFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {NGRAM_TABLE} WHERE post_id = %s", [posts[2].pk])

    assert "0 rows rewritten, 1 added, 0 removed, 1 of 3 batches locked" in compact(
        "--batch-size", "2"
    )
    assert table() == bodies()
    # A second run finds nothing to change, and locks nothing.
    assert "0 rows rewritten, 0 added, 0 removed, 0 of 3 batches locked" in compact(
        "--batch-size", "2"
    )


def edit_in_another_connection(post_id, body):
    """An uncommitted UPDATE of a post in another connection: (connection, its cursor)."""
    other = other_connection()
    cursor = other.cursor()
    cursor.execute("BEGIN")
    cursor.execute("UPDATE blog_post SET body = %s WHERE id = %s", [body, post_id])
    return other


def end_later(other, how, seconds):
    """Commit or roll back `other` after `seconds`, from another thread."""

    def end():
        time.sleep(seconds)
        getattr(other, how)()
        other.close()

    thread = threading.Thread(target=end)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["commit", "rollback"])
def test_the_command_waits_for_an_edit_under_way_and_keeps_what_it_leaves(
    admin_client,
    mroonga,  # noqa: F811
    how,
):
    post = PostFactory(body="tea for two")
    post.body = "coffee for two"  # a leftover, so the batch needs its lock
    post.save()
    other = edit_in_another_connection(post.pk, "espresso for two")
    # Mroonga has the uncommitted text already (it ignores transactions).
    assert table()[post.pk] == "tea for two\ncoffee for two\nespresso for two"
    ended = end_later(other, how, seconds=1.5)

    started = time.monotonic()
    output = compact("--lock-wait", "10")
    waited = time.monotonic() - started
    ended.join()

    # The command waited for the other transaction to end, then kept the body it left.
    assert waited >= 1.4
    assert "1 rows rewritten" in output
    body = {"commit": "espresso for two", "rollback": "coffee for two"}[how]
    assert bodies() == table() == {post.pk: body}
    assert found(admin_client, "two") == [body]
    gone = {"commit": "coffee", "rollback": "espresso"}[how]
    assert found(admin_client, gone) == []
    assert found(admin_client, "tea") == []


@pytest.mark.django_db(transaction=True)
def test_an_edit_that_outlasts_every_wait_stops_the_command_with_nothing_half_done(
    mroonga,  # noqa: F811
):
    post = PostFactory(body="tea for two")
    other = edit_in_another_connection(post.pk, "espresso for two")
    try:
        with pytest.raises(CommandError, match="a transaction kept writing blog_post"):
            compact("--lock-wait", "1")
    finally:
        other.rollback()
        other.close()

    # Untouched: every text the post had is still there.
    assert table() == {post.pk: "tea for two\nespresso for two"}


@pytest.mark.django_db(transaction=True)
def test_a_stop_between_batches_leaves_each_batch_whole_or_untouched(mroonga):  # noqa: F811
    posts = PostFactory.create_batch(30, body="first words")
    Post.objects.update(body="second words")  # every row now holds both
    batches = []

    done = compact_ngram_table(
        batch_size=3, on_batch=batches.append, stop_requested=lambda: len(batches) == 5
    )

    assert done.interrupted
    assert (done.batches, done.rewritten) == (5, 15)
    texts = table()
    assert all(texts[p.pk] == "second words" for p in posts[:15])
    assert all(texts[p.pk] == "first words\nsecond words" for p in posts[15:])


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_while_waiting_for_a_lock_stops_the_command_with_nothing_changed(
    mroonga,  # noqa: F811
):
    post = PostFactory(body="tea for two")
    post.body = "coffee for two"
    post.save()
    other = edit_in_another_connection(post.pk, "espresso for two")
    settings = connection.settings_dict
    url = (
        f"mysql://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST'] or '127.0.0.1'}"
        f":{settings['PORT'] or 3306}/{settings['NAME']}"
    )
    try:
        child = subprocess.Popen(
            [sys.executable, "manage.py", "compact_search_index"],
            cwd=PROJECT_ROOT,
            env=child_environment({"DATABASE_URL": url}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Until the command waits for the lock (the edit holds it off).
        deadline = time.monotonic() + 30
        while not waiting_for_lock():
            assert time.monotonic() < deadline, "the command never waited for the lock"
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=30)
    finally:
        other.rollback()
        other.close()

    assert child.returncode == 130, stderr
    assert "interrupted between batches: 0 rows rewritten" in stderr
    assert table() == {post.pk: "tea for two\ncoffee for two\nespresso for two"}


def waiting_for_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
            "WHERE INFO LIKE 'LOCK TABLES%%' AND STATE LIKE 'Waiting for table metadata lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_elsewhere_there_is_nothing_to_compact():
    if connection.vendor == "mysql":
        pytest.skip("on MariaDB there is: the tests above")
    PostFactory()

    output = compact()

    assert output.startswith("Nothing to compact: ")
    assert len(output.splitlines()) == 1


@pytest.fixture
def table_rebuilt_afterwards():
    yield
    # 0005 recorded as applied without its table: back to 0004 and forward builds it again.
    call_command("migrate", "blog", "0004", verbosity=0)
    call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_on_mariadb_without_the_table_there_is_nothing_to_compact(
    mroonga,  # noqa: F811
    table_rebuilt_afterwards,
):
    # As on a server that had no Mroonga when 0005 ran: applied, and nothing made.
    call_command("migrate", "blog", "0004", verbosity=0)
    call_command("migrate", "blog", "0005", fake=True, verbosity=0)

    assert compact() == (
        "Nothing to compact: this MariaDB has no Mroonga table (Mroonga was not loaded when "
        "0005 ran).\n"
    )
