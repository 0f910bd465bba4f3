"""The timeline (a user's newest 20 posts) and the public page read an index, never the whole
posts table, on whatever backend DATABASE_URL names (the matrix runs all three)."""

import random
import re

import pytest
from django.db import connection, transaction
from django.utils import timezone

from blog import demo_data
from blog.models import Post

# Transactional (committed rows, tables flushed afterwards): MariaDB's ANALYZE TABLE commits
# whatever transaction is open, which would leak this file's rows into the next tests.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def author():
    rng = random.Random(6)
    demo_data.create_users(5, rng, timezone.now(), batch_size=5)
    demo_data.create_posts(3000, rng, timezone.now(), batch_size=1000)
    # Fresh tables have no statistics, and planners without them guess a full scan.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE blog_post, accounts_user")
        elif connection.vendor == "mysql":
            cursor.execute("ANALYZE TABLE blog_post, accounts_user")
            cursor.fetchall()
    return demo_data.demo_users().order_by("id").first()


def plan(queryset):
    """The plan as lines of text; MariaDB's table rows as `table key type extra` lines."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # For a few thousand rows reading the whole table is truly cheaper, so PostgreSQL
            # rightly picks a sequential scan. Turning those off, for this transaction only,
            # asks "can an index serve this query?", which is what these tests prove.
            cursor.execute("SET LOCAL enable_seqscan = off")
        if connection.vendor != "mysql":
            return queryset.explain().splitlines()
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return [f"{r['table']} {r['key']} {r['type']} {r['Extra']}" for r in rows]


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


def test_the_public_pages_newest_posts_come_from_the_timestamp_index(author):
    lines = plan(Post.objects.for_public_page()[:21])

    text = "\n".join(lines)
    if connection.vendor == "sqlite":
        assert "SCAN blog_post USING INDEX blog_post_timestamp_" in text
        assert "SEARCH U0 USING INTEGER PRIMARY KEY (rowid=?)" in text
        assert "TEMP B-TREE" not in text
    elif connection.vendor == "postgresql":
        assert "Index Scan Backward using blog_post_timestamp_" in text
        assert (
            "accounts_user_pkey" in text
        )  # an index scan or a bitmap scan, by the planner's costs
        assert "Seq Scan" not in text
        # Ties on the timestamp are sorted by id in groups the index already orders ("Presorted
        # Key: timestamp"): a few rows at a time, stopping at the LIMIT, never the whole table.
        assert not re.search(r"(?<!Incremental )Sort  \(", text)
    else:
        posts, user = lines
        assert posts.startswith("blog_post blog_post_timestamp_")
        assert user.startswith("U0 PRIMARY eq_ref")
        assert "filesort" not in posts
