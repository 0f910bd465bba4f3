"""What must behave the same on SQLite, PostgreSQL and MariaDB. Every test here runs on the
backend DATABASE_URL picks; `make test-all` runs the suite on all three."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.db.models.functions import Lower

from accounts.models import User
from blog.models import Post
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_emoji_and_other_4_byte_characters_round_trip():
    # MariaDB's old 3-byte "utf8" would refuse or mangle these; utf8mb4 keeps them.
    body = "🐍 Django ❤️ Flask 🧪" + "😀" * 120
    user = User(username="𝓂𝒶𝓇𝓎🦄", email="emoji@example.com")
    user.save()
    post = Post.objects.create(body=body, author=user)

    assert len(body) <= 140
    assert User.objects.get(pk=user.pk).username == "𝓂𝒶𝓇𝓎🦄"
    assert Post.objects.get(pk=post.pk).body == body


def test_140_emoji_fit_the_140_character_limit():
    # The limit counts characters, not bytes (140 emoji are 560 bytes in UTF-8).
    post = Post.objects.create(body="😀" * 140, author=UserFactory())

    assert Post.objects.get(pk=post.pk).body == "😀" * 140


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 24, 2, 37, 5, 123456, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2038, 1, 19, 3, 14, 8, 1, tzinfo=UTC),  # past the 32-bit Unix time limit
        datetime(2026, 3, 29, 1, 30, 0, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ],
)
def test_aware_timestamps_round_trip_exactly(moment):
    post = PostFactory(timestamp=moment)

    stored = Post.objects.get(pk=post.pk).timestamp
    # Equal to the microsecond, and handed back in UTC whatever zone it was given in.
    assert stored == moment
    assert stored.microsecond == moment.microsecond
    assert stored.utcoffset() == timedelta(0)


def test_lowercase_ascii_usernames_sort_the_same_everywhere():
    names = ["mary", "lucy", "bob2", "bob10", "alice", "zed", "9lives"]
    for name in names:
        UserFactory(username=name)

    ordered = list(User.objects.order_by("username").values_list("username", flat=True))

    assert ordered == ["9lives", "alice", "bob10", "bob2", "lucy", "mary", "zed"]


def test_mixed_case_ascii_usernames_sort_the_same_everywhere_by_lower():
    # Plain order_by("username") puts "Zed" before "alice" on SQLite and PostgreSQL (C collation)
    # but not on MariaDB (case-insensitive collation); ordering by Lower() agrees everywhere, and
    # the case-insensitive unique constraint means it never ties.
    for name in ["Zed", "alice", "Bob", "bob2", "MARY", "lucy"]:
        UserFactory(username=name)

    ordered = User.objects.order_by(Lower("username")).values_list("username", flat=True)

    assert list(ordered) == ["alice", "Bob", "bob2", "lucy", "MARY", "Zed"]


def test_case_insensitive_uniqueness_is_built_into_the_schema():
    if connection.vendor == "mysql":
        # MariaDB cannot index Lower(...); its *_ci collation is what makes Mary equal mary.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, collation_name FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = 'accounts_user' "
                "AND column_name IN ('username', 'email')"
            )
            collations = dict(cursor.fetchall())
        assert set(collations) == {"username", "email"}
        assert all(c.endswith("_ci") for c in collations.values()), collations
    else:
        constraints = connection.introspection.get_constraints(connection.cursor(), "accounts_user")
        assert {"user_username_ci_unique", "user_email_ci_unique"} <= set(constraints)


def test_the_body_limit_is_a_check_constraint_in_the_database():
    constraints = connection.introspection.get_constraints(connection.cursor(), "blog_post")

    assert constraints["post_body_max_140"]["check"]
