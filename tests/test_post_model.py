"""blog.Post: defaults, reprs, the one-to-many relationship and its cascade."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from blog.models import Post
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_repr_is_the_body():
    assert repr(Post(body="my first post!")) == "<Post my first post!>"


def test_timestamp_defaults_to_now_in_utc():
    before = timezone.now()
    post = PostFactory()
    after = timezone.now()

    # Aware and in UTC: the chapter's `datetime.utcnow` done right.
    assert post.timestamp.tzinfo is not None
    assert post.timestamp.utcoffset() == timedelta(0)
    assert before <= post.timestamp <= after


def test_stored_timestamp_comes_back_aware_and_equal():
    moment = datetime(2026, 11, 24, 2, 37, 5, 123456, tzinfo=UTC)
    post = PostFactory(timestamp=moment)

    assert Post.objects.get(pk=post.pk).timestamp == moment


def test_newest_posts_come_first():
    old = PostFactory(timestamp=timezone.now() - timedelta(days=1))
    new = PostFactory()

    assert list(Post.objects.all()) == [new, old]


def test_equal_timestamps_are_ordered_by_newest_id():
    moment = timezone.now()
    first, second = PostFactory(timestamp=moment), PostFactory(timestamp=moment)

    assert list(Post.objects.all()) == [second, first]


def test_user_posts_and_post_author_are_two_sides_of_one_link():
    mary, lucy = UserFactory(), UserFactory()
    post = PostFactory(author=mary)

    assert list(mary.posts.all()) == [post]
    assert list(lucy.posts.all()) == []
    assert post.author == mary


def test_deleting_a_user_deletes_their_posts():
    mary, lucy = UserFactory(), UserFactory()
    PostFactory.create_batch(3, author=mary)
    kept = PostFactory(author=lucy)

    mary.delete()

    assert list(Post.objects.all()) == [kept]
