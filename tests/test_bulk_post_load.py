"""Bulk loads (seed_demo, import_flask_db) write SQLite's trigram table once per transaction, not
row by row (blog.search.bulk_load_posts), and search still finds every post; elsewhere they are
plain writes."""

import random
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from blog import demo_data, search
from blog.models import Post
from contrast.flask_import import import_flask_db
from tests.child_process import PROJECT_ROOT, child_environment
from tests.factories import PostFactory, UserFactory
from tests.flask_twin import insert, upgraded_flask_db
from tests.test_concurrent_writes import url_of_test_database

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ON_SQLITE = connection.vendor == "sqlite"


def found_by_search(word):
    """The posts the admin's search finds for `word` (the backend's word index first, where it
    has one)."""
    return search.narrowed_by_index(Post.objects.all(), [word]).filter(body__icontains=word)


def assert_the_trigram_table_holds_exactly_the_posts():
    """FTS5's integrity check; with rank 1 it also compares the table with every post's body."""
    if ON_SQLITE:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO post_body_trigrams (post_body_trigrams, rank) "
                "VALUES ('integrity-check', 1)"
            )


def triggers_on_posts():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'blog_post' "
            "ORDER BY name"
        )
        return cursor.fetchall()


def test_every_post_of_a_bulk_load_is_found_by_search():
    rng = random.Random(7)
    demo_data.create_users(5, rng, NOW, batch_size=5)
    with CaptureQueriesContext(connection) as queries:
        demo_data.create_posts(400, rng, NOW, batch_size=150)

    assert_the_trigram_table_holds_exactly_the_posts()
    # Each batch's posts are found by their ids alone, above the newest before it: no statement
    # looks for posts missing from the table among all of them.
    assert not [q for q in queries.captured_queries if "_docsize" in q["sql"]]
    for word in ("sourdough", "KEYNOTE", "database index"):
        expected = Post.objects.filter(body__icontains=word).count()
        assert expected > 0
        assert found_by_search(word).count() == expected


def test_on_sqlite_the_insert_trigger_is_set_aside_inside_a_load_and_comes_back_the_same():
    author = UserFactory()
    before = triggers_on_posts() if ON_SQLITE else None

    with CaptureQueriesContext(connection) as queries, search.bulk_load_posts():
        inside = triggers_on_posts() if ON_SQLITE else None
        PostFactory(author=author, body="written inside")

    if ON_SQLITE:
        assert [name for name, _ in before] == [
            "post_body_trigrams_delete",
            "post_body_trigrams_insert",
            "post_body_trigrams_update",
        ]
        assert inside == [t for t in before if t[0] != search.INSERT_TRIGGER]
        assert triggers_on_posts() == before
        assert found_by_search("inside").count() == 1
    else:
        # PostgreSQL and MariaDB: the block adds no statement to the load's own.
        [insert] = queries.captured_queries
        assert insert["sql"].startswith("INSERT INTO")


def test_posts_after_a_load_are_indexed_by_the_trigger_again():
    with search.bulk_load_posts():
        PostFactory(body="loaded in bulk")
    PostFactory(body="written alone")

    assert_the_trigram_table_holds_exactly_the_posts()
    assert found_by_search("alone").count() == 1


def test_a_load_that_fails_midway_leaves_no_post_and_the_triggers_in_place():
    author = PostFactory(body="here before").author
    before = triggers_on_posts() if ON_SQLITE else None

    def load_that_fails():
        # As seed_demo and import_flask_db do: the load is a transaction on every backend.
        with transaction.atomic(), search.bulk_load_posts():
            demo_data.write_posts([("half a load", NOW, author.pk)] * 3)
            raise RuntimeError("the load fails")

    with pytest.raises(RuntimeError, match="the load fails"):
        load_that_fails()

    assert list(Post.objects.values_list("body", flat=True)) == ["here before"]
    if ON_SQLITE:
        assert triggers_on_posts() == before
    assert_the_trigram_table_holds_exactly_the_posts()
    PostFactory(body="after the failure")
    assert found_by_search("failure").count() == 1


def test_changing_a_post_inside_a_load_is_refused_on_sqlite_only():
    # On SQLite the update and delete triggers would take out trigrams that a post loaded in the
    # same block does not have yet: a load only inserts. Elsewhere the block changes nothing.
    post = PostFactory(body="before the load")
    changes = [
        lambda: Post.objects.filter(pk=post.pk).update(body="changed"),
        lambda: Post.objects.filter(pk=post.pk).delete(),
    ]

    for change in changes:
        if ON_SQLITE:
            with pytest.raises(IntegrityError, match="only inserted"), search.bulk_load_posts():
                change()
        else:
            with search.bulk_load_posts():
                change()

    assert list(Post.objects.values_list("body", flat=True)) == (
        ["before the load"] if ON_SQLITE else []
    )
    assert_the_trigram_table_holds_exactly_the_posts()


def test_posts_given_ids_below_the_newest_are_found_too():
    author = PostFactory(id=100, body="written here first").author

    with transaction.atomic(), search.bulk_load_posts():
        Post.objects.bulk_create(
            [
                Post(id=5, author=author, body="given an older id", timestamp=NOW),
                Post(id=200, author=author, body="given a newer id", timestamp=NOW),
            ]
        )

    assert_the_trigram_table_holds_exactly_the_posts()
    assert sorted(found_by_search("given").values_list("id", flat=True)) == [5, 200]


def test_imported_posts_with_ids_below_ours_are_found(tmp_path):
    # A Flask database's posts keep their ids; here they fall below a post already written.
    PostFactory(id=100, body="written here first")
    flask_db = upgraded_flask_db(tmp_path / "app.db")
    insert(flask_db, "user", {"id": 7, "username": "mary", "email": "mary@mail.com"})
    insert(
        flask_db,
        "post",
        {"id": 1, "body": "an old flask post", "timestamp": "2019-01-01 10:00:00", "user_id": 7},
        {"id": 101, "body": "a newer flask post", "timestamp": "2019-02-01", "user_id": 7},
    )

    import_flask_db(str(flask_db))

    assert_the_trigram_table_holds_exactly_the_posts()
    assert list(found_by_search("flask post").order_by("id").values_list("id", flat=True)) == [
        1,
        101,
    ]


# Another process, as another gunicorn worker would: one post, after saying it is about to write.
WRITE_ONE_POST = """
import os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
django.setup()
from blog.models import Post
print("writing", flush=True)
Post.objects.create(author_id=int(sys.argv[1]), body="written by another process")
"""


@pytest.mark.django_db(transaction=True)
def test_a_post_written_elsewhere_during_a_load_is_indexed():
    author = UserFactory()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITE_ONE_POST, str(author.pk)],
        cwd=PROJECT_ROOT,
        env=child_environment({"DATABASE_URL": url_of_test_database()}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    with search.bulk_load_posts():
        demo_data.write_posts([("loaded in bulk", NOW, author.pk)] * 1000)
        assert writer.stdout.readline() == "writing\n"
        if ON_SQLITE:
            # SQLite's one writer at a time: the other process waits for this load's commit,
            # so it never writes while the insert trigger is away.
            time.sleep(1)
            assert writer.poll() is None
        else:
            assert writer.wait(timeout=60) == 0, writer.stderr.read()

    assert writer.wait(timeout=60) == 0, writer.stderr.read()
    assert_the_trigram_table_holds_exactly_the_posts()
    assert found_by_search("another process").count() == 1
    assert found_by_search("in bulk").count() == 1000
