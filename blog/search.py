"""Finding posts for the admin's search box, on an index on every backend that has one.

- Words in the body: Django's own `body__icontains` (the admin's `search_fields`) decides what
  matches, everywhere. On PostgreSQL a trigram index serves it as it is (migration 0003). On
  SQLite an FTS5 trigram table (migration 0004), and on MariaDB with Mroonga a side table of
  N-grams (migration 0005), first narrow the posts to those containing each word; `icontains`
  then checks the few they found. MariaDB without Mroonga reads every post (`manage.py check`
  says how to add it); docs/performance.md has the costs.
- `@name`: the posts of the user called `name`, found through the user's unique index.

`bulk_load_posts()` lets a bulk load (seed_demo, import_flask_db) fill SQLite's trigram table
once per transaction rather than row by row.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from blog.models import Post

# FTS5's trigram tokenizer can only look up text of three characters or more.
SHORTEST_TRIGRAM_SEARCH = 3
# A word in more posts than this is looked up without the trigram or N-gram table (see below).
COMMON_WORD = 10_000
MATCHING = "SELECT rowid FROM post_body_trigrams WHERE post_body_trigrams MATCH %s"

# Mroonga's bigrams: a single character would be looked up as every bigram starting with it.
SHORTEST_NGRAM_SEARCH = 2
# On MariaDB a word is common when this many of SAMPLE posts read contain it.
COMMON_IN_SAMPLE = 500
SAMPLE = 5_000
NGRAM_TABLE = "post_body_ngrams"
NGRAM_MATCHING = f"SELECT post_id FROM {NGRAM_TABLE} WHERE MATCH(body) AGAINST(%s IN BOOLEAN MODE)"


def narrowed_by_index(queryset: QuerySet[Post], words: list[str]) -> QuerySet[Post]:
    """`queryset` cut down to the posts that the backend's word index says contain every word:
    the trigram table on SQLite, the N-gram table on MariaDB with Mroonga. Unchanged elsewhere:
    PostgreSQL's index serves `icontains` itself."""
    vendor = connections[queryset.db].vendor
    if vendor == "sqlite":
        return narrowed_by_trigrams(queryset, words)
    if vendor == "mysql":
        return narrowed_by_ngrams(queryset, words)
    return queryset


def narrowed_by_trigrams(queryset: QuerySet[Post], words: list[str]) -> QuerySet[Post]:
    """SQLite's narrowing (narrowed_by_index): `queryset` cut down to the posts whose body
    contains every word of three characters or more, any case, found in the FTS5 trigram table.

    Except for common words. The table hands over every post containing the word, which SQLite
    then sorts newest first to show 100: fast for a rare word (0.3 ms at a million posts), slow
    for one in 70,000 posts (370 ms), where reading the newest posts in order finds 100 of them
    in under a millisecond. So each word is first counted in the table, up to COMMON_WORD + 1
    (a few ms at most), and a common word is left to `icontains` alone.
    """
    connection = connections[queryset.db]
    for word in words:
        if len(word) < SHORTEST_TRIGRAM_SEARCH:
            continue
        # A quoted FTS5 string matches itself anywhere in the text; `"` inside is doubled.
        phrase = '"' + word.replace('"', '""') + '"'
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({MATCHING} LIMIT %s)", [phrase, COMMON_WORD + 1])
            (posts_with_word,) = cursor.fetchone()
        if posts_with_word <= COMMON_WORD:
            queryset = queryset.filter(id__in=RawSQL(MATCHING, [phrase]))
    return queryset


def narrowed_by_ngrams(queryset: QuerySet[Post], words: list[str]) -> QuerySet[Post]:
    """On MariaDB, `queryset` cut down to the posts whose body contains every word of two
    characters or more, any case or accent, found in Mroonga's N-gram table; unchanged where
    that table is missing (Mroonga was not loaded when migration 0005 ran). Asking whether it
    is there is one short query (SHOW TABLES) per search.

    The table may name more posts than contain the word: it ignores spaces, and it keeps every
    body a post ever had, deleted posts' too (migration 0005 says why) until `manage.py
    compact_search_index` takes them out, so `icontains` on blog_post still decides. It never
    names fewer.

    Common words are left to `icontains` alone, as on SQLite, but told apart differently:
    Mroonga collects every match before any LIMIT (counting the 190,000 posts with "coffee"
    takes about 100 ms at a million posts, "the" 450 ms), so instead a sample of SAMPLE posts
    is read (`LIMIT ROWS EXAMINED`: 1 to 15 ms at any size). A word in COMMON_IN_SAMPLE of them
    is in about one post in ten, and reading the newest posts in order finds a page of it at
    once. The sample has no ORDER BY: where MariaDB plans a sort, reaching the limit aborts the
    query with an error. A word rarer than that but in more than COMMON_WORD posts is left to
    `icontains` too, as on SQLite.
    """
    connection = connections[queryset.db]
    words = [word for word in words if len(word.strip()) >= SHORTEST_NGRAM_SEARCH]
    if not words or NGRAM_TABLE not in connection.introspection.table_names():
        return queryset
    for word in words:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {queryset.model._meta.db_table} WHERE body LIKE %s "
                f"LIMIT {COMMON_IN_SAMPLE} ROWS EXAMINED {SAMPLE}",
                ["%" + connection.ops.prep_for_like_query(word) + "%"],
            )
            if len(cursor.fetchall()) >= COMMON_IN_SAMPLE:
                continue
            # A phrase in Mroonga's boolean mode: the word anywhere, `\\` and `"` escaped.
            phrase = '+"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
            cursor.execute(f"{NGRAM_MATCHING} LIMIT {COMMON_WORD + 1}", [phrase])
            post_ids = [post_id for (post_id,) in cursor.fetchall()]
        # The ids themselves, not the subquery: the count and the page would each search again.
        if len(post_ids) <= COMMON_WORD:
            queryset = queryset.filter(id__in=post_ids)
    return queryset


def by_username(queryset: QuerySet[Post], username: str) -> QuerySet[Post]:
    """Posts by the user called `username`, ignoring case, in one query that finds the user
    through an index: the unique index on Lower(username) on SQLite and PostgreSQL; on MariaDB,
    which cannot index Lower(), the plain unique index, whose *_ci collation ignores case."""
    users = get_user_model().objects.using(queryset.db)
    if connections[queryset.db].vendor == "mysql":
        user_ids = users.filter(username=username)
    else:
        user_ids = users.alias(name=Lower("username")).filter(name=Lower(Value(username)))
    # `author = (SELECT id ...)`: one author, so the (author, -timestamp, -id) index serves
    # the newest-first list directly.
    return queryset.filter(author=user_ids.values("pk")[:1])


# Migration 0004's trigger that writes each new post's trigrams, row by row.
INSERT_TRIGGER = "post_body_trigrams_insert"
INDEX_POSTS_AFTER = (
    "INSERT INTO post_body_trigrams (rowid, body) SELECT id, body FROM blog_post WHERE id > %s"
)
# FTS5 keeps one row per indexed post in its shadow table <name>_docsize (the table is made
# without `columnsize=0`).
INDEX_POSTS_NOT_INDEXED = (
    "INSERT INTO post_body_trigrams (rowid, body) SELECT id, body FROM blog_post "
    "WHERE id NOT IN (SELECT id FROM post_body_trigrams_docsize)"
)
# The update and delete triggers would take a post's trigrams out of the table before writing
# its new ones: for a post loaded in the same block, not indexed yet, that corrupts the table.
REFUSE_CHANGES = [
    f"CREATE TEMP TRIGGER bulk_load_posts_refuses_{change.lower()} BEFORE {change} "
    "ON main.blog_post BEGIN SELECT RAISE(ABORT, "
    f"'bulk_load_posts: posts are only inserted inside a bulk load, not {change.lower()}d'); END"
    for change in ("UPDATE", "DELETE")
]
ALLOW_CHANGES = [
    "DROP TRIGGER temp.bulk_load_posts_refuses_update",
    "DROP TRIGGER temp.bulk_load_posts_refuses_delete",
]


@contextmanager
def bulk_load_posts(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A block that inserts many posts. On SQLite it is one transaction (a savepoint inside
    another) in which the insert trigger is set aside, and the new posts' trigrams are written at
    its end in one INSERT ... SELECT: the trigger costs most per statement, and executemany makes
    one statement per row (docs/performance.md has the figures). On PostgreSQL and MariaDB it
    does nothing.

    Inside, posts are only inserted: an update or a delete of a post is refused (IntegrityError).
    The new posts are those above the newest id before the block, unless the block changed more
    rows than that (a load with ids of its own below it, or rows of other tables): then the posts
    the table lacks are looked for among all of them.

    No other writer ever finds the trigger missing: SQLite lets one connection write at a time,
    and this transaction holds the write lock from its first statement (Django's BEGIN IMMEDIATE,
    microblog/database.py) to its commit, by which the trigger is back; other connections read
    the last committed schema, trigger included. A write from elsewhere waits (the busy timeout)
    and then runs with the trigger. DDL is transactional in SQLite, so a block that fails rolls
    back the trigger's removal along with its rows.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                [INSERT_TRIGGER],
            )
            row = cursor.fetchone()
            # No trigger: no trigram table (not migrated yet), or an outer bulk load has it.
            if row is not None:
                (create_trigger,) = row
                cursor.execute(f"DROP TRIGGER {INSERT_TRIGGER}")
                for sql in REFUSE_CHANGES:
                    cursor.execute(sql)
                cursor.execute("SELECT COALESCE(MAX(id), 0), total_changes() FROM blog_post")
                newest_before, changes_before = cursor.fetchone()
        yield
        if row is None:
            return
        with connection.cursor() as cursor:
            # Rows inserted, updated or deleted in the block, any table: what SQLite counts.
            cursor.execute("SELECT total_changes()")
            changed = cursor.fetchone()[0] - changes_before
            cursor.execute(INDEX_POSTS_AFTER, [newest_before])
            if cursor.rowcount != changed:
                cursor.execute(INDEX_POSTS_NOT_INDEXED)
            for sql in ALLOW_CHANGES:
                cursor.execute(sql)
            cursor.execute(create_trigger)
