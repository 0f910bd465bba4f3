"""The public page at `/`: newest posts with their authors, 20 at a time, pages linked by cursor."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from blog.views import POSTS_PER_PAGE
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


def post_bodies(response):
    return [post["body"] for post in response.context["posts"]]


def link(response, rel):
    """The query string of the page's `rel="next"` (older) or `rel="prev"` (newer) link."""
    found = re.search(rf'href="\?([^"]*)" rel="{rel}"', response.content.decode())
    return found and found.group(1)


@pytest.fixture
def posts_with_ties():
    """45 posts, newest first; three runs of posts share one timestamp, as bulk loads make."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(minutes=n // 3) for n in range(45)]
    created = [
        PostFactory(body=f"post {n:02d}", timestamp=moment) for n, moment in enumerate(moments)
    ]
    return [post.body for post in sorted(created, key=lambda p: (p.timestamp, p.pk), reverse=True)]


def test_older_links_walk_every_post_once_in_order(client, posts_with_ties):
    seen, query, pages = [], "", []
    while query is not None:
        response = client.get(f"/?{query}")
        assert response.status_code == 200
        pages.append(len(post_bodies(response)))
        seen += post_bodies(response)
        query = link(response, "next")

    assert pages == [20, 20, 5]
    assert seen == posts_with_ties


def test_newer_links_walk_back_to_the_same_pages(client, posts_with_ties):
    second = client.get(f"/?{link(client.get('/'), 'next')}")
    last = client.get(f"/?{link(second, 'next')}")

    back_to_second = client.get(f"/?{link(last, 'prev')}")
    back_to_first = client.get(f"/?{link(back_to_second, 'prev')}")

    assert post_bodies(back_to_second) == post_bodies(second) == posts_with_ties[20:40]
    assert post_bodies(back_to_first) == posts_with_ties[:20]
    # The newest page has nothing newer, and says so by having no such link.
    assert link(back_to_first, "prev") is None


def test_a_newer_link_past_the_newest_post_goes_to_the_front_page(client, posts_with_ties):
    response = client.get("/", {"newer": "29991231T000000.000000Z_1"})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_before_a_date_opens_at_the_newest_post_older_than_midnight(client):
    mary = UserFactory(username="mary")
    for day, body in ((31, "last of May"), (1, "first of June")):
        month = 5 if day == 31 else 6
        PostFactory(author=mary, body=body, timestamp=datetime(2024, month, day, 12, tzinfo=UTC))
    PostFactory(author=mary, body="June at midnight", timestamp=datetime(2024, 6, 1, tzinfo=UTC))

    response = client.get("/", {"before": "2024-06-01"})

    # Strictly older: the post at midnight itself is not "before 1 June".
    assert post_bodies(response) == ["last of May"]
    assert "Posts before 1 June 2024, 00:00 UTC" in response.content.decode()
    assert link(response, "prev")  # and a way back to newer posts


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("2024-06-01T12:00:00Z", ["June at midnight"]),
        ("2024-06-01T12:00:00.000001", ["first of June", "June at midnight"]),
        ("2024-06-01T14:00:00+02:00", ["June at midnight"]),
        ("2024-06-01 13:00", ["first of June", "June at midnight"]),
    ],
)
def test_before_takes_a_date_and_time_in_utc_or_with_an_offset(client, before, expected):
    PostFactory(body="first of June", timestamp=datetime(2024, 6, 1, 12, tzinfo=UTC))
    PostFactory(body="June at midnight", timestamp=datetime(2024, 6, 1, tzinfo=UTC))

    assert post_bodies(client.get("/", {"before": before})) == expected


def test_nothing_before_the_first_post_is_not_found_and_says_so(client):
    PostFactory(timestamp=datetime(2024, 6, 1, tzinfo=UTC))

    response = client.get("/", {"before": "2000-01-01"})

    assert response.status_code == 404
    assert "none is older than that" in response.content.decode()


def test_an_older_link_past_the_oldest_post_is_not_found(client):
    PostFactory(timestamp=datetime(2024, 6, 1, tzinfo=UTC))

    assert client.get("/", {"older": "20000101T000000.000000Z_1"}).status_code == 404


@pytest.mark.parametrize("page", ["1", "2", "45000", "0", "-1", "two", "99999999999999999999"])
def test_old_numbered_page_links_move_permanently_to_the_newest_posts(client, page):
    PostFactory()

    response = client.get("/", {"page": page})

    assert response.status_code == 301
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "20240601T120000.000000Z",  # no id
        "20240601T120000.000000Z_0",  # ids start at 1
        "20240601T120000.000000Z_-5",
        "20240601T120000.000000Z_99999999999999999999",  # past a 64-bit id
        "20241399T120000.000000Z_5",  # month 13
        "00000101T000000.000000Z_5",  # year 0
        "20240601T120000.000000Z_\u0665",  # an Arabic-Indic digit five
        "20240601T120000.000000Z_5\x00",
        "x" * 10_000,
    ],
)
@pytest.mark.parametrize("direction", ["older", "newer"])
def test_a_broken_or_tampered_cursor_is_a_bad_request(client, direction, cursor):
    PostFactory()

    assert client.get("/", {direction: cursor}).status_code == 400


@pytest.mark.parametrize(
    "before",
    [
        "",
        "yesterday",
        "2024-13-01",
        "2024-02-30",
        "0001-01-01T00:00:00+05:00",  # before the first moment a datetime holds, in UTC
        "9999-12-31T23:59:59-05:00",  # after the last one
        "99999999999999999999",
        "2024-06-01T12:00:00+25:00",
        "2024-06-01\x00",
        "\u0662\u0660\u0662\u0664-06-01",  # Arabic-Indic digits
    ],
)
def test_a_before_that_is_not_a_date_is_a_bad_request(client, before):
    PostFactory()

    response = client.get("/", {"before": before})

    assert response.status_code == 400


@pytest.mark.parametrize("before", ["0001-01-01", "1000-01-01", "9999-12-31T23:59:59.999999Z"])
def test_the_first_and_last_dates_there_are_answer_without_error(client, before):
    PostFactory(timestamp=datetime(2024, 6, 1, tzinfo=UTC))

    assert client.get("/", {"before": before}).status_code in {200, 404}


def test_two_starting_points_at_once_are_a_bad_request(client):
    PostFactory()

    response = client.get("/", {"older": "20240601T120000.000000Z_5", "before": "2024-06-01"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "start",
    [
        {},
        {"older": "29990101T000000.000000Z_1"},
        {"newer": "20000101T000000.000000Z_1"},
        {"before": "2999-01-01"},
    ],
)
def test_every_kind_of_page_is_one_query(client, django_assert_num_queries, start):
    PostFactory.create_batch(POSTS_PER_PAGE + 5)

    with django_assert_num_queries(1):
        response = client.get("/", start)

    assert len(response.context["posts"]) == POSTS_PER_PAGE
