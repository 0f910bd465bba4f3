"""Finding posts for the admin's search box, on an index on every backend that has one.

- Words in the body: Django's own `body__icontains` (the admin's `search_fields`) decides what
  matches, everywhere. On PostgreSQL a trigram index serves it as it is (migration 0003). On
  SQLite an FTS5 trigram table (migration 0004) first narrows the posts to those containing each
  word; `icontains` then checks the few it found. MariaDB has no index for text inside words
  (its FULLTEXT indexes whole words), so it reads every post: docs/performance.md has the cost.
- `@name`: the posts of the user called `name`, found through the user's unique index.
"""

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.db.models.query import QuerySet

from blog.models import Post

# FTS5's trigram tokenizer can only look up text of three characters or more.
SHORTEST_TRIGRAM_SEARCH = 3
# A word in more posts than this is looked up without the trigram table (see below).
COMMON_WORD = 10_000
MATCHING = "SELECT rowid FROM post_body_trigrams WHERE post_body_trigrams MATCH %s"


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
    if connection.vendor != "sqlite":
        return queryset
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
