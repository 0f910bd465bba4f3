"""The chapter's `Post` table: a user writes many posts (one-to-many)."""

from datetime import datetime
from functools import cache
from typing import Any, Self, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Length, Upper
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

BODY_MAX_LENGTH = 140


@cache
def author_username() -> Subquery:
    """The subquery behind `author_username`, built once per process.

    It is a constant; building it (a queryset, a filter, an OuterRef) on every call was a fifth
    of the public page's query time. Django copies it before resolving it into a query, so the
    one instance is never changed; its SQL is still compiled and run on every call.
    """
    usernames = get_user_model().objects.filter(pk=OuterRef("author_id")).values("username")
    return Subquery(usernames[:1])


class AuthorUsername(TypedDict):
    """What `with_author_username()` adds to each post, for the type checker
    (`WithAnnotations[Post, AuthorUsername]`)."""

    author_username: str


class PostQuerySet(models.QuerySet["Post"]):
    def with_author_username(self) -> Self:
        """Posts with `author_username`, in one query that starts from the posts table.

        A JOIN (`select_related("author")`) is one query too, but MariaDB 10.11 plans it users
        first and sorts every post to find the newest 20 (110 ms at 200k posts); this subquery
        looks up one username per post returned, by primary key, on every backend.
        """
        return self.annotate(author_username=author_username())

    def for_public_page(self) -> "QuerySet[Post, dict[str, Any]]":
        """What the public page shows of each post, as dicts: `body`, `timestamp`,
        `author_username`, and the `id` its page links need. No model instances: making 21 of
        them per page was a fifth of the query's time, and the template reads the same names
        from a dict."""
        # with_author_username() spelled out: django-stubs follows an annotate() it can see into
        # values(), not one made inside another method.
        posts = self.annotate(author_username=author_username())
        return posts.values("id", "body", "timestamp", "author_username")

    # Keyset pagination: "the posts after this one" in the newest-first order (-timestamp, -id).
    # Each filter says `timestamp <= t` (or `>=`) on its own as well: the OR alone is the exact
    # condition, but MariaDB and SQLite only start an index range from a plain comparison.

    def older_than(self, timestamp: datetime, id: int) -> Self:
        """Posts that come after (timestamp, id) newest first: older, or as old with a lower id."""
        return self.filter(Q(timestamp__lt=timestamp) | Q(id__lt=id), timestamp__lte=timestamp)

    def newer_than(self, timestamp: datetime, id: int) -> Self:
        """Posts that come before (timestamp, id) newest first, nearest first (oldest first)."""
        return self.filter(
            Q(timestamp__gt=timestamp) | Q(id__gt=id), timestamp__gte=timestamp
        ).order_by("timestamp", "id")


class Post(models.Model):
    body = models.CharField(max_length=BODY_MAX_LENGTH)
    # `timezone.now` returns an aware UTC datetime; the chapter's `datetime.utcnow` is naive
    # (and deprecated since Python 3.12). Pass the function, not its result, as the chapter says.
    # The chapter's index on timestamp is `post_newest_first_idx` below.
    timestamp = models.DateTimeField(default=timezone.now)
    # `related_name="posts"` gives `user.posts`, the chapter's `db.relationship(backref=...)`; the
    # foreign key itself gives `post.author`. The timeline index below starts with `author`, so it
    # already serves foreign-key lookups and cascades: a second, author-only index would only
    # slow every insert down.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="posts",
        db_index=False,
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        # `id` breaks ties between equal timestamps, so pages never repeat or skip a post.
        ordering = ["-timestamp", "-id"]
        indexes = [
            # The chapter's index on timestamp, with `id` after it: the newest-first order
            # itself, so every page of `/` and of the admin list is read from it with no sort
            # (PostgreSQL would otherwise sort each run of equal timestamps by id).
            models.Index(fields=["-timestamp", "-id"], name="post_newest_first_idx"),
            models.Index(fields=["author", "-timestamp", "-id"], name="post_author_timeline_idx"),
            # PostgreSQL only (migration 0003 creates it there and nowhere else): trigrams of
            # the upper-cased body, which serve the admin's search, `body__icontains`, as
            # Django writes it there: UPPER(body) LIKE UPPER('%word%'). Without it, every
            # search reads every post. See docs/performance.md for SQLite and MariaDB.
            GinIndex(OpClass(Upper("body"), name="gin_trgm_ops"), name="post_body_trigram_idx"),
        ]
        constraints = [
            # SQLite ignores VARCHAR lengths; this check makes every backend refuse a long body.
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), BODY_MAX_LENGTH),
                name="post_body_max_140",
                violation_error_message=f"A post is at most {BODY_MAX_LENGTH} characters.",
            ),
        ]

    def __str__(self) -> str:
        return self.body

    def __repr__(self) -> str:
        return f"<Post {self.body}>"


class SentPostForm(models.Model):
    """An add-post form that the admin saved, by the key it carried (blog/admin.py): sent again
    after its answer was lost (a 503, a timeout, a double click), it finds the post it made
    instead of adding the post twice. Not part of the chapter's schema: a table of its own."""

    key = models.UUIDField(unique=True)
    # No cascade and no database constraint: deleting posts (or their authors) costs no extra
    # query, and the key of a deleted post still answers "sent already".
    post = models.ForeignKey(
        Post, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.key)
