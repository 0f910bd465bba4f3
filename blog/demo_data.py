"""Demo data at any size: users named demo_0000001, … and their posts, the same for the same seed.

`manage.py seed_demo` parses the arguments; the work is done here, in plain functions.
"""

import random
import re
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import accumulate, islice
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Max, QuerySet

from blog.models import BODY_MAX_LENGTH, Post
from blog.search import bulk_load_posts

if TYPE_CHECKING:
    # For the type checker only: blog finds the user model through settings.AUTH_USER_MODEL.
    from accounts.models import User

DEMO_PREFIX = "demo_"
DEMO_NAME = re.compile(rf"{DEMO_PREFIX}(\d+)")
# Posts are spread over the two years before `now`; users join over the same span.
SPREAD = timedelta(days=730)

OPENERS = [
    "Just finished",
    "Still thinking about",
    "Can't believe I missed",
    "Finally tried",
    "Spent the whole weekend on",
    "Halfway through",
    "Writing a note about",
    "Somebody please explain",
    "Loved every minute of",
    "Not sure how I feel about",
]
SUBJECTS = [
    "the new coffee place downtown",
    "a long walk by the river",
    "refactoring an old Flask app",
    "my first Django migration",
    "the book club's pick this month",
    "a 10k run in the rain",
    "fixing the kitchen sink",
    "the final episode",
    "a slow Sunday morning",
    "learning to bake sourdough",
    "the conference keynote",
    "a database index that saved the day",
    "the train ride home",
    "our team's release",
]
ENDINGS = [
    "Worth it.",
    "Would do it again.",
    "Never again!",
    "Thoughts?",
    "10/10.",
    "More on this later.",
    "Send help.",
    "Small wins.",
    "Who else?",
    "",
]
TAGS = ["#python", "#django", "#weekend", "#coffee", "#running", "#til", "#books", ""]

# A post as write_posts() inserts it: (body, timestamp, author id).
PostRow = tuple[str, datetime, int]


def demo_users() -> "QuerySet[User]":
    return get_user_model().objects.filter(username__startswith=DEMO_PREFIX)


def next_demo_number() -> int:
    """The number after the highest demo user's, so a second run adds users without clashes."""
    numbers = [
        int(match.group(1))
        for name in demo_users().values_list("username", flat=True).iterator()
        if (match := DEMO_NAME.fullmatch(name))
    ]
    return max(numbers, default=0) + 1


def delete_demo_data() -> tuple[int, int]:
    """Delete every demo user and their posts; returns how many of each."""
    with transaction.atomic():
        posts, _ = Post.objects.filter(author__in=demo_users()).delete()
        users, _ = demo_users().delete()
    return users, posts


def make_body(rng: random.Random) -> str:
    parts = [rng.choice(OPENERS), rng.choice(SUBJECTS) + rng.choice(".!…"), rng.choice(ENDINGS)]
    parts.append(rng.choice(TAGS))
    return " ".join(part for part in parts if part)[:BODY_MAX_LENGTH]


def create_users(
    count: int,
    rng: random.Random,
    now: datetime,
    batch_size: int,
    on_batch: Callable[[int], None] = lambda n: None,
) -> int:
    """Add `count` demo users, `batch_size` per transaction; returns how many were written."""
    User = get_user_model()
    first = next_demo_number()
    # One unusable password for all: demo users cannot log in, and hashing is slow on purpose.
    password = make_password(None)
    written = 0
    while written < count:
        size = min(batch_size, count - written)
        users = []
        for number in range(first + written, first + written + size):
            username = f"{DEMO_PREFIX}{number:07d}"
            joined = now - SPREAD * rng.random()
            users.append(
                User(
                    username=username,
                    email=f"{username}@example.com",
                    password=password,
                    date_joined=joined,
                )
            )
        with transaction.atomic():
            User.objects.bulk_create(users)
        written += size
        on_batch(size)
    return written


def create_posts(
    count: int,
    rng: random.Random,
    now: datetime,
    batch_size: int,
    on_batch: Callable[[int], None] = lambda n: None,
) -> int:
    """Add `count` posts by demo users, a few prolific and most quiet, `batch_size` per
    transaction, so an interruption loses at most the batch under way.

    As with real posts, ids follow timestamps: the posts are spread evenly, each at a random
    moment within its own slice of the window, oldest first. The window is the two years before
    `now`, or, when posts exist already, from the newest of them to `now`, so a second run adds
    newer posts rather than older ones with higher ids.
    """
    author_ids = list(demo_users().order_by("id").values_list("id", flat=True))
    # Zipf-like weights: the author at rank r writes about 1/r as much as the most prolific one.
    cum_weights = list(accumulate(1 / rank for rank in range(1, len(author_ids) + 1)))
    rng.shuffle(author_ids)
    newest = Post.objects.aggregate(newest=Max("timestamp"))["newest"]
    start = max(now - SPREAD, newest or now - SPREAD)
    rows = post_rows(count, rng, author_ids, cum_weights, start, now - start)
    written = 0
    while written < count:
        size = min(batch_size, count - written)
        # On SQLite, the batch's trigrams are written once, after its rows (blog/search.py).
        with transaction.atomic(), bulk_load_posts():
            write_posts(islice(rows, size))
        written += size
        on_batch(size)
    return written


def post_rows(
    count: int,
    rng: random.Random,
    author_ids: list[int],
    cum_weights: list[float],
    start: datetime,
    span: timedelta,
) -> Iterator[PostRow]:
    """(body, timestamp, author id) for `count` posts, oldest first, over `span` from `start`.
    The same for the same `rng` state, however they are batched."""
    total = cum_weights[-1]
    last = len(author_ids) - 1
    for n in range(count):
        author = author_ids[min(bisect(cum_weights, rng.random() * total), last)]
        yield make_body(rng), start + span * ((n + rng.random()) / count), author


def write_posts(rows: Iterable[PostRow]) -> None:
    """Insert (body, timestamp, author id) rows into the posts table: with COPY on PostgreSQL,
    with one `executemany` elsewhere (mysqlclient makes it multi-row INSERTs). The ORM's
    `bulk_create` would build a Post object per row and a new SQL statement per 333 rows on
    SQLite, which made loading 4.8 times slower than writing the same rows directly."""
    table = connection.ops.quote_name(Post._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(field.column)
        for field in (Post.body.field, Post.timestamp.field, Post.author.field)
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s)",
            [(body, adapt(moment), author) for body, moment, author in rows],
        )
