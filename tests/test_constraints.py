"""The rules hold in the database itself: `.save()` without validation and `bulk_create` cannot
get around them, on any backend."""

from contextlib import contextmanager

import pytest
from django.db import DataError, IntegrityError, connection, transaction

from accounts.models import User
from blog.models import Post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@contextmanager
def refused(error=IntegrityError):
    """Expect the database to refuse the write, inside a savepoint so the test can go on."""
    with pytest.raises(error), transaction.atomic():
        yield


def too_long_error():
    # SQLite ignores VARCHAR(140), so our check constraint refuses the row (IntegrityError);
    # PostgreSQL and MariaDB (strict mode) refuse the value before any constraint runs (DataError).
    return IntegrityError if connection.vendor == "sqlite" else DataError


def test_a_140_character_body_is_stored():
    post = Post.objects.create(body="x" * 140, author=UserFactory())

    assert len(Post.objects.get(pk=post.pk).body) == 140


def test_a_141_character_body_is_refused_by_save():
    author = UserFactory()

    with refused(too_long_error()):
        Post(body="x" * 141, author=author).save()
    assert Post.objects.count() == 0


def test_a_141_character_body_is_refused_by_bulk_create():
    author = UserFactory()
    rows = [Post(body="fine", author=author), Post(body="x" * 141, author=author)]

    with refused(too_long_error()):
        Post.objects.bulk_create(rows)
    # One bad row fails the whole statement: the good row is not half-written either.
    assert Post.objects.count() == 0


def test_a_post_needs_an_author():
    with refused():
        Post(body="nobody wrote this").save()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"username": "mary"}, {"username": "mary"}),
        ({"username": "Mary"}, {"username": "mary"}),
        ({"username": "MARY"}, {"username": "mArY"}),
        ({"email": "A@x.io"}, {"email": "a@X.io"}),
        ({"email": "mary@mail.com"}, {"email": "MARY@MAIL.COM"}),
    ],
)
def test_username_and_email_are_unique_ignoring_case(first, second):
    UserFactory(**first)
    twin = UserFactory.build(**second)

    with refused():
        twin.save()
    with refused():
        User.objects.bulk_create([UserFactory.build(**second)])
    assert User.objects.count() == 1


def test_usernames_differing_in_more_than_case_are_fine():
    UserFactory(username="mary")
    UserFactory(username="mary2")

    assert User.objects.count() == 2
