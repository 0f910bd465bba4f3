"""The timeline (a user's newest 20 posts), every page of `/` and the admin's post list read an
index, never the whole posts table, with no sort and no OFFSET, on whatever backend DATABASE_URL
names (the matrix runs all three). The pages' tests EXPLAIN the very SQL each page ran."""

import random
import re
from contextlib import ExitStack
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from benchmarks import plans
from blog import demo_data, search
from blog.cursors import Cursor
from blog.models import Post

# Transactional (committed rows, tables flushed afterwards): MariaDB's ANALYZE TABLE commits
# whatever transaction is open, which would leak this file's rows into the next tests.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def author():
    rng = random.Random(6)
    demo_data.create_users(5, rng, timezone.now(), batch_size=5)
    demo_data.create_posts(10_000, rng, timezone.now(), batch_size=1000)
    # Fresh tables have no statistics, and planners without them guess a full scan.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE blog_post, accounts_user")
        elif connection.vendor == "mysql":
            cursor.execute("ANALYZE TABLE blog_post, accounts_user")
            cursor.fetchall()
    # The quietest of the five: for the most prolific (44 % of the posts) PostgreSQL rightly
    # reads the newest posts in order and skips the others', as that finds 20 sooner.
    return (
        demo_data.demo_users()
        .annotate(posts_written=Count("posts"))
        .order_by("posts_written")
        .first()
    )


def plan(queryset):
    """The plan as lines of text; MariaDB's table rows as `table key type extra` lines."""
    return explain(*queryset.query.sql_with_params())


def explain(sql, params=None, *, only_bitmap_scans=False):
    # For a few thousand rows reading the whole table is truly cheaper, so PostgreSQL rightly
    # picks a sequential scan. Turning those off, for this one EXPLAIN, asks "can an index
    # serve this query?", which is what these tests prove.
    settings = ["enable_seqscan = off"] + (["enable_indexscan = off"] if only_bitmap_scans else [])
    return plans.explain(sql, params, settings=settings)


def post_queries(client, url, params=None):
    """The SQL of each query on the posts table that a page ran, as the database received it:
    whichever served it, the primary or (in make test-all's replica run) a replica, whose
    schema and planner statistics are the primary's, replicated."""
    with ExitStack() as stack:
        captures = [stack.enter_context(CaptureQueriesContext(c)) for c in connections.all()]
        response = client.get(url, params or {})
    assert response.status_code == 200, response
    return [q["sql"] for captured in captures for q in captured if plans.reads_posts(q["sql"])]


def assert_read_from_index_in_order(sql, index):
    """The query reads `index` (in the order it needs: no sort), fetches no OFFSET, and never
    scans the whole posts table."""
    assert not re.search(r"\bOFFSET\b", sql, re.IGNORECASE), sql
    text = "\n".join(explain(sql))
    if connection.vendor == "sqlite":
        assert f"USING INDEX {index}" in text or f"USING COVERING INDEX {index}" in text, text
        assert "TEMP B-TREE" not in text, text
        assert not re.search(r"SCAN blog_post(?! USING)", text), text
    elif connection.vendor == "postgresql":
        assert re.search(rf"Index (Only )?Scan( Backward)? using {index} on blog_post", text), text
        assert "Sort" not in text, text  # not even an Incremental Sort of equal timestamps
        assert "Seq Scan" not in text, text
    else:
        posts = next(line for line in explain(sql) if line.startswith("blog_post "))
        assert posts.startswith(f"blog_post {index} "), posts
        assert " ALL " not in posts, posts
        assert "filesort" not in posts, posts


def test_a_users_newest_20_posts_come_from_the_timeline_index(author):
    lines = plan(author.posts.all()[:20])

    text = "\n".join(lines)
    if connection.vendor == "sqlite":
        assert "SEARCH blog_post USING INDEX post_author_timeline_idx (author_id=?)" in text
        assert "TEMP B-TREE" not in text  # the index order is the ORDER BY: no sort
    elif connection.vendor == "postgresql":
        assert "Index Scan using post_author_timeline_idx on blog_post" in text
        assert "Seq Scan" not in text
        assert "Sort" not in text
    else:
        # `ref` or `range` on author_id, depending on the statistics: both read the index.
        [row] = lines
        assert row.startswith("blog_post post_author_timeline_idx ")
        assert " ALL " not in row
        assert "filesort" not in row


def deep_cursor(depth=0.9):
    """The cursor of the post `depth` of the way down the newest-first list."""
    ordered = Post.objects.values("id", "timestamp")
    return Cursor.of(ordered[int(ordered.count() * depth)])


def test_the_public_pages_first_page_reads_the_newest_first_index(author, client):
    [sql] = post_queries(client, "/")

    assert_read_from_index_in_order(sql, "post_newest_first_idx")
    text = "\n".join(explain(sql))
    # The authors' names, one by primary key per post shown.
    assert {"sqlite": "USING INTEGER PRIMARY KEY", "postgresql": "accounts_user_pkey"}.get(
        connection.vendor, "PRIMARY eq_ref"
    ) in text


@pytest.mark.parametrize("depth", [0.5, 0.9, 0.99])
def test_older_pages_deep_down_read_the_index_from_their_cursor(author, client, depth):
    [sql] = post_queries(client, "/", {"older": str(deep_cursor(depth))})

    assert_read_from_index_in_order(sql, "post_newest_first_idx")


@pytest.mark.parametrize("depth", [0.1, 0.9])
def test_newer_pages_read_the_index_the_other_way(author, client, depth):
    [sql] = post_queries(client, "/", {"newer": str(deep_cursor(depth))})

    assert_read_from_index_in_order(sql, "post_newest_first_idx")


def test_the_archive_before_a_date_reads_the_index_from_that_date(author, client):
    moment = deep_cursor(0.9).timestamp + timedelta(seconds=1)

    [sql] = post_queries(client, "/", {"before": moment.isoformat()})

    assert_read_from_index_in_order(sql, "post_newest_first_idx")


def test_the_admins_post_list_reads_the_index_for_its_page_and_its_count(author, admin_client):
    queries = post_queries(admin_client, reverse("admin:blog_post_changelist"))

    count, page = queries[0], queries[-1]
    assert "COUNT(" in count.upper()
    if connection.vendor == "mysql":
        # MariaDB may find a sort of these 10,000 rows cheaper than 100 reads of the index, each
        # with its author's subquery; at a million posts it reads the index (docs/query-plans.md,
        # "mariadb, admin list, first page, 1,000,000 posts"). So here: the index, or that sort of
        # a small table, never of a big one.
        posts = next(line for line in explain(page) if line.startswith("blog_post "))
        if not posts.startswith("blog_post post_newest_first_idx "):
            assert re.fullmatch(r"blog_post None ALL rows=(\d+) Using filesort", posts), posts
            assert Post.objects.count() <= 10_000
    else:
        assert_read_from_index_in_order(page, "post_newest_first_idx")
    # The capped count has no ORDER BY to honour: any index (or the table, by rowid) serves it,
    # stopping at the cap; what must not happen is a sort of every post.
    assert "ORDER BY" not in count.upper()
    text = "\n".join(explain(count))
    for sort in ("filesort", "TEMP B-TREE", "Sort"):
        assert sort not in text, text


@pytest.mark.parametrize("days", [1, 60])
def test_a_date_range_deep_in_the_past_reads_the_index_from_its_range(author, admin_client, days):
    end = deep_cursor(0.9).timestamp.date()
    start = end - timedelta(days=days - 1)
    params = {"timestamp__range__gte": start.isoformat(), "timestamp__range__lte": end.isoformat()}

    [*_, sql] = post_queries(admin_client, reverse("admin:blog_post_changelist"), params)

    text = "\n".join(explain(sql))
    if connection.vendor == "postgresql" and "Bitmap Index Scan" in text:
        # For a range of few rows PostgreSQL rightly fetches just them through the index and
        # sorts those (a few dozen here), instead of reading the index in order.
        assert "Bitmap Index Scan on post_newest_first_idx" in text, text
        assert re.search(r"Index Cond: \(\(\"timestamp\" >= .* AND \(\"timestamp\" <= ", text), text
        assert "Seq Scan" not in text, text
    else:
        assert_read_from_index_in_order(sql, "post_newest_first_idx")


def test_a_users_posts_in_the_admin_read_the_timeline_index(author, admin_client):
    params = {"q": f"@{author.username}"}

    queries = post_queries(admin_client, reverse("admin:blog_post_changelist"), params)

    assert_read_from_index_in_order(queries[-1], "post_author_timeline_idx")


@pytest.mark.parametrize("words", ["zzqx", "Weekend", "coffee sourdough"])
def test_searching_bodies_reads_a_trigram_index_where_the_backend_has_one(
    author, admin_client, words
):
    queries = post_queries(admin_client, reverse("admin:blog_post_changelist"), {"q": words})

    for sql in queries:
        if connection.vendor == "postgresql":
            # A common word is found soonest by reading the newest posts in order until a page
            # is full, and PostgreSQL rightly does that; ruling ordered index scans out asks
            # whether the trigram index can serve the search, as it must for a rare word in a
            # big table (benchmarks/pages.py shows the plans PostgreSQL picks at a million).
            text = "\n".join(explain(sql, only_bitmap_scans=True))
            assert "Bitmap Index Scan on post_body_trigram_idx" in text, text
            assert "Seq Scan" not in text, text
        elif connection.vendor == "sqlite":
            text = "\n".join(explain(sql))
            assert "SCAN post_body_trigrams VIRTUAL TABLE" in text, text
            assert "SEARCH blog_post USING INTEGER PRIMARY KEY (rowid=?)" in text, text
        elif "ROWS EXAMINED" in sql:
            # MariaDB's sample of posts that tells a common word from a rare one (blog/search.py).
            assert f"LIMIT {search.COMMON_IN_SAMPLE} ROWS EXAMINED {search.SAMPLE}" in sql, sql
        elif "`blog_post`.`id` IN (" in sql:
            # MariaDB with Mroonga (migration 0005): the posts the N-gram table named, by id.
            posts = next(line for line in explain(sql) if line.startswith("blog_post "))
            assert re.match(r"blog_post PRIMARY (range|const|eq_ref) ", posts), posts
        else:
            # MariaDB, a common word: the newest posts are read in order until a page is full.
            posts = next(line for line in explain(sql) if line.startswith("blog_post "))
            assert re.match(r"blog_post (None ALL|post_newest_first_idx index) ", posts), posts
    if connection.vendor == "mysql" and words == "zzqx":
        # The N-gram table named no post, so no post is read past the sample.
        assert [sql for sql in queries if "ROWS EXAMINED" not in sql] == [], queries
