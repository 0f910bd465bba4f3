"""The admin's post list, a user's change page and `/` cost the same queries at any table size,
and none of them counts the whole posts table."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from blog import admin as blog_admin
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def get(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return response, [query["sql"] for query in queries]


def whole_table_counts(queries):
    """COUNTs over blog_post with neither a WHERE nor a LIMIT: they read every post."""
    return [
        sql
        for sql in queries
        if re.search(r"COUNT\(", sql, re.IGNORECASE)
        and "blog_post" in sql
        and not re.search(r"\bWHERE\b|\bLIMIT\b", sql, re.IGNORECASE)
    ]


def test_the_public_page_is_one_query_without_a_count(client):
    PostFactory.create_batch(5)
    _, few = get(client, "/")
    PostFactory.create_batch(45)

    response, many = get(client, "/")

    assert len(few) == len(many) == 1
    assert not re.search(r"COUNT\(", many[0], re.IGNORECASE)
    assert 'href="?older=' in response.content.decode()


def test_the_post_changelist_costs_the_same_for_5_posts_and_for_60(admin_client):
    PostFactory.create_batch(5)
    _, few = get(admin_client, reverse("admin:blog_post_changelist"))
    PostFactory.create_batch(55)

    response, many = get(admin_client, reverse("admin:blog_post_changelist"))

    assert len(few) == len(many)
    assert whole_table_counts(many) == []
    assert "60 posts" in response.content.decode()


def sizes_shown(response):
    """The list's size as said above the list (by the search box) and below it."""
    return re.findall(r'<span class="total">([^<]*)</span>', response.content.decode())


def test_the_changelist_stops_counting_at_the_cap(admin_client, monkeypatch):
    monkeypatch.setattr(blog_admin, "COUNT_CAP", 30)
    PostFactory.create_batch(35)

    response, queries = get(admin_client, reverse("admin:blog_post_changelist"), {"q": "post"})

    assert sizes_shown(response) == ["more than 30 posts"] * 2
    [count] = [sql for sql in queries if "LIMIT 31" in sql]
    # It counts ids, not the list's rows with their authors' names looked up.
    assert "username" not in count
    # Nor does "select all" name the capped count: an action on all acts on every match.
    actions = response.content.decode().split('class="actions"', 1)[1].split("</div>")[0]
    assert "Select all posts (more than 30 posts)" in actions
    assert "31" not in re.sub(r"<[^>]*>", "", actions)


def test_the_whole_table_is_the_planners_estimate_on_postgresql(admin_client, monkeypatch):
    monkeypatch.setattr(blog_admin, "COUNT_CAP", 30)
    PostFactory.create_batch(1234)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE blog_post" if connection.vendor != "mysql" else "SELECT 1")

    response, _ = get(admin_client, reverse("admin:blog_post_changelist"))

    # PostgreSQL keeps an estimate of each table's rows; SQLite and MariaDB keep none worth
    # showing (none at all, and one that can be off by half), so they say what they counted.
    expected = "about 1,200 posts" if connection.vendor == "postgresql" else "more than 30 posts"
    assert sizes_shown(response) == [expected] * 2


def test_a_page_past_the_count_says_how_to_go_further(admin_client, monkeypatch):
    monkeypatch.setattr(blog_admin, "COUNT_CAP", 30)
    monkeypatch.setattr(blog_admin.PostAdmin, "list_per_page", 10)
    PostFactory.create_batch(35)
    changelist = reverse("admin:blog_post_changelist")

    response = admin_client.get(changelist, {"q": "post", "p": "9000"}, follow=True)

    # Back to the first page of the same search, with a message saying why.
    assert response.redirect_chain == [(f"{changelist}?q=post", 302)]
    [message] = [str(m) for m in response.context["messages"]]
    assert "Page 9000 is past the first 30 posts" in message
    assert "date range" in message
    assert "search" in message


@pytest.mark.parametrize("page", ["9", "0", "-3", "99999999999999999999"])
def test_a_page_past_the_end_says_there_is_no_such_page(admin_client, monkeypatch, page):
    monkeypatch.setattr(blog_admin.PostAdmin, "list_per_page", 2)
    PostFactory.create_batch(3)
    changelist = reverse("admin:blog_post_changelist")

    response = admin_client.get(changelist, {"p": page}, follow=True)

    assert response.redirect_chain == [(f"{changelist}?", 302)]
    [message] = [str(m) for m in response.context["messages"]]
    assert f"There is no page {page}: this list has 2." in message
    assert len(response.context["cl"].result_list) == 2


def test_a_users_page_shows_their_newest_posts_and_links_to_all_of_them(admin_client):
    older_posts = blog_admin.INLINE_POSTS + 5
    mary = UserFactory(username="mary")
    PostFactory(author=mary, body="the newest")
    change_url = reverse("admin:accounts_user_change", args=[mary.pk])
    get(admin_client, change_url)  # the first view also fills Django's content-type cache
    _, few = get(admin_client, change_url)
    posts = PostFactory.create_batch(older_posts, author=mary)

    response, many = get(admin_client, change_url)

    assert len(few) == len(many)
    shown = [form.instance for form in response.context["inline_admin_formsets"][0].formset]
    assert len(shown) == blog_admin.INLINE_POSTS
    assert shown == sorted(posts, key=lambda p: (p.timestamp, p.pk), reverse=True)[:20]
    page = response.content.decode()
    assert f"/admin/blog/post/?author__id__exact={mary.pk}" in page


def test_the_all_posts_link_lists_only_that_users_posts(admin_client):
    mary, lucy = UserFactory(username="mary"), UserFactory(username="lucy")
    PostFactory.create_batch(3, author=mary)
    PostFactory(author=lucy)

    response, queries = get(
        admin_client, reverse("admin:blog_post_changelist"), {"author__id__exact": mary.pk}
    )

    assert {post.author_id for post in response.context["cl"].result_list} == {mary.pk}
    assert "3 posts" in response.content.decode()
    assert whole_table_counts(queries) == []


def test_the_post_list_offers_no_counts_per_filter(admin_client):
    PostFactory.create_batch(3)

    response, queries = get(admin_client, reverse("admin:blog_post_changelist"), {"_facets": "1"})

    assert "Show counts" not in response.content.decode()
    assert whole_table_counts(queries) == []
