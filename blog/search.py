"""Finding posts for the admin's search box, on an index on every backend that has one.

- Words in the body: Django's own `body__icontains` (the admin's `search_fields`) decides what
  matches, everywhere. On PostgreSQL a trigram index serves it as it is (migration 0003). On
  SQLite an FTS5 trigram table (migration 0004), and on MariaDB with Mroonga a side table of
  N-grams (migration 0005), first narrow the posts to those containing each word; `icontains`
  then checks the few they found. MariaDB without Mroonga reads every post (`manage.py check`
  says how to add it); docs/performance.md has the costs.
- `@name`: the posts of the user called `name`, found through the user's unique index.
"""

from django.contrib.auth import get_user_model
from django.db import connections
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
    """On SQLite, `queryset` cut down to the posts whose body contains every word of three
    characters or more, any case, found in the FTS5 trigram table; elsewhere unchanged.

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
    body a post ever had, deleted posts' too (migration 0005 says why), so `icontains` on
    blog_post still decides. It never names fewer.

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
