"""The admin's post list finds posts by words in the body, by author (@name) and by date range."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks import plans
from blog import search
from blog.models import Post
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:blog_post_changelist")


def found(admin_client, **params):
    response = admin_client.get(CHANGELIST, params)
    assert response.status_code == 200
    return [post.body for post in response.context["cl"].result_list]


@pytest.fixture
def mary_and_lucy():
    mary, lucy = UserFactory(username="mary"), UserFactory(username="lucy")
    PostFactory(
        author=mary, body="About Django migrations", timestamp=datetime(2025, 3, 1, tzinfo=UTC)
    )
    PostFactory(
        author=mary, body="coffee and code", timestamp=datetime(2025, 5, 31, 23, tzinfo=UTC)
    )
    PostFactory(
        author=lucy, body="about flask and coffee", timestamp=datetime(2025, 6, 1, tzinfo=UTC)
    )
    return mary, lucy


def test_search_finds_any_part_of_a_word_in_any_letter_case(admin_client, mary_and_lucy):
    assert found(admin_client, q="DJANG") == ["About Django migrations"]
    assert found(admin_client, q="offe") == ["about flask and coffee", "coffee and code"]


def test_every_word_must_be_in_the_body(admin_client, mary_and_lucy):
    assert found(admin_client, q="coffee flask") == ["about flask and coffee"]
    assert found(admin_client, q="zzqx") == []


def test_at_name_finds_that_users_posts_ignoring_case(admin_client, mary_and_lucy):
    assert found(admin_client, q="@Mary") == ["coffee and code", "About Django migrations"]
    assert found(admin_client, q="@lucy") == ["about flask and coffee"]


def test_at_name_and_words_together_narrow_to_both(admin_client, mary_and_lucy):
    assert found(admin_client, q="@mary coffee") == ["coffee and code"]
    assert found(admin_client, q="coffee @lucy") == ["about flask and coffee"]


def test_a_name_nobody_has_finds_nothing(admin_client, mary_and_lucy):
    assert found(admin_client, q="@nobody") == []
    # A username is matched whole, not as a part: "mar" is not mary.
    assert found(admin_client, q="@mar") == []


def test_a_username_is_not_searched_as_a_word_of_the_body(admin_client, mary_and_lucy):
    assert found(admin_client, q="lucy") == []


def test_the_date_range_includes_both_days_whole(admin_client, mary_and_lucy):
    params = {"timestamp__range__gte": "2025-05-31", "timestamp__range__lte": "2025-06-01"}

    assert found(admin_client, **params) == ["about flask and coffee", "coffee and code"]


def test_the_date_range_may_be_open_at_either_end(admin_client, mary_and_lucy):
    assert found(admin_client, timestamp__range__lte="2025-03-01") == ["About Django migrations"]
    assert found(admin_client, timestamp__range__gte="2025-06-01") == ["about flask and coffee"]


def test_the_date_range_and_a_search_combine(admin_client, mary_and_lucy):
    params = {"q": "coffee", "timestamp__range__lte": "2025-05-31"}

    assert found(admin_client, **params) == ["coffee and code"]


def test_a_date_range_that_is_not_a_date_is_shown_as_an_error_not_a_crash(admin_client):
    PostFactory()

    response = admin_client.get(CHANGELIST, {"timestamp__range__gte": "yesterday"})

    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode()


def test_an_edited_or_deleted_post_is_found_by_its_new_words_only(admin_client, mary_and_lucy):
    # On SQLite and MariaDB the search reads a table kept by triggers (migrations 0004, 0005).
    post = Post.objects.get(body="coffee and code")
    post.body = "tea and code"
    post.save()
    Post.objects.filter(body__startswith="about flask").delete()

    assert found(admin_client, q="coffee") == []
    assert found(admin_client, q="tea") == ["tea and code"]
    assert found(admin_client, q="flask") == []


def test_posts_written_outside_the_orm_are_found_too(admin_client, mary_and_lucy):
    mary, _ = mary_and_lucy
    table = connection.ops.quote_name("blog_post")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (body, timestamp, author_id) VALUES (%s, %s, %s)",
            ["written by raw SQL", datetime(2025, 7, 1, tzinfo=UTC), mary.pk],
        )

    assert found(admin_client, q="raw sql") == ["written by raw SQL"]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("50%", ["50% off"]),  # LIKE's wildcards are plain characters in a search
        ("a_b", ["a_b test"]),
        ('say "hi"', ['say "hi" twice']),
        ('"hi" twice', ['say "hi" twice']),  # a quoted phrase, as Django's admin reads it
        ("it's", ["it's fine"]),
        ("ok", ["ok?"]),  # shorter than a trigram: still found, by reading every post
        ("café", ["Café au lait"]),
    ],
)
def test_search_words_with_special_characters_mean_themselves(admin_client, words, expected):
    for body in ["50% off", "500 off", "a_b test", "axb test", 'say "hi" twice', "it's fine"]:
        PostFactory(body=body)
    PostFactory(body="ok?")
    PostFactory(body="Café au lait")

    assert found(admin_client, q=words) == expected


def test_a_nul_byte_in_the_search_is_a_400_saying_so(admin_client, mary_and_lucy):
    # PostgreSQL refuses NUL in any text; the request is refused before the search runs (see
    # microblog/hostile_input.py), on every backend alike.
    response = admin_client.get(CHANGELIST, {"q": "coffee\x00"})
    assert response.status_code == 400
    assert b"NUL character" in response.content


def test_a_word_in_many_posts_is_searched_without_the_word_index(admin_client, monkeypatch):
    # Past COMMON_WORD posts on SQLite, or COMMON_IN_SAMPLE of the newest on MariaDB, reading
    # the newest posts in order beats the index.
    monkeypatch.setattr(search, "COMMON_WORD", 2)
    monkeypatch.setattr(search, "COMMON_IN_SAMPLE", 3)
    PostFactory.create_batch(3, body="common word")
    PostFactory(body="rare word")

    def narrowed_by_the_index(words):
        with CaptureQueriesContext(connection) as queries:
            found(admin_client, q=words)
        sql = [query["sql"] for query in queries]
        if connection.vendor == "mysql":
            # The ids the N-gram table names are fetched, then read from blog_post.
            return any(f"FROM {search.NGRAM_TABLE} WHERE MATCH" in each for each in sql)
        return any(plans.reads_posts(each) and "post_body_trigrams" in each for each in sql)

    # On PostgreSQL the trigram index serves icontains itself: no table to narrow by.
    assert narrowed_by_the_index("rare") == (connection.vendor in ("sqlite", "mysql"))
    assert not narrowed_by_the_index("common")
    assert found(admin_client, q="common") == ["common word"] * 3
