"""The public page at `/`: newest posts with their authors, a page at a time."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_empty_site_says_so_and_points_to_the_admin(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "No posts yet" in response.content.decode()
    assert "/admin/blog/post/add/" in response.content.decode()


def test_posts_show_body_author_and_time_newest_first(client):
    mary = UserFactory(username="mary")
    PostFactory(author=mary, body="older post", timestamp=timezone.now() - timedelta(hours=1))
    PostFactory(author=mary, body="newer post")

    page = client.get("/").content.decode()

    assert page.index("newer post") < page.index("older post")
    assert "mary" in page
    assert "UTC" in page


def test_a_post_renders_as_its_body_author_and_exact_time(client):
    # The page reads dicts, not Post objects (Post.objects.for_public_page); this pins the
    # markup each post becomes, escaping and time format included.
    PostFactory(
        author=UserFactory(username="mary"),
        body="fish & <chips>",
        timestamp=datetime(2026, 11, 24, 9, 5, 7, tzinfo=UTC),
    )

    page = client.get("/").content.decode()

    assert "<p>fish &amp; &lt;chips&gt;</p>" in page
    assert (
        "<strong>mary</strong>,\n"
        '        <time datetime="2026-11-24T09:05:07+00:00">24 Nov 2026, 09:05 UTC</time>'
    ) in page


def test_twenty_posts_a_page_with_a_link_to_older_ones(client):
    PostFactory.create_batch(25)

    first = client.get("/")
    second = client.get("/", {"page": 2})

    assert len(first.context["posts"]) == 20
    assert 'href="?page=2"' in first.content.decode()
    assert len(second.context["posts"]) == 5
    assert 'href="?page=1"' in second.content.decode()
    assert 'href="?page=3"' not in second.content.decode()


def test_posts_and_authors_come_in_one_query(client, django_assert_num_queries):
    PostFactory.create_batch(20)

    # One SELECT for the posts and their authors' names, and no COUNT.
    with django_assert_num_queries(1):
        client.get("/")


def test_a_page_past_the_end_is_not_found(client):
    PostFactory()

    assert client.get("/", {"page": 9}).status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "two"])
def test_a_page_that_is_not_a_positive_number_is_not_found(client, page):
    PostFactory()

    assert client.get("/", {"page": page}).status_code == 404
