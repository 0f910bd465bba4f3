"""Deleting a user in the admin: the page that asks first says what goes with the user, and costs
the same whether the user wrote three posts or a hundred thousand (Django's own page loads and
links every post: docs/admin-contrast.md, "A million posts")."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from blog.models import Post
from tests.factories import PostFactory, UserFactory
from tests.test_admin_permissions import staff_with

pytestmark = pytest.mark.django_db


def delete_page(client, user):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:accounts_user_delete", args=[user.pk]))
    assert response.status_code == 200
    return response, len(queries)


def test_the_page_counts_the_posts_in_one_line_linked_to_the_post_list(admin_client):
    mary = UserFactory(username="mary")
    posts = PostFactory.create_batch(30, author=mary)

    response, _ = delete_page(admin_client, mary)

    page = response.content.decode()
    post_list = reverse("admin:blog_post_changelist") + f"?author__id__exact={mary.pk}"
    assert f'Posts: <a href="{post_list}">all 30 by mary</a>' in page
    assert list(response.context["model_count"]) == [("users", 1), ("posts", 30)]
    # Not one link per post, as Django's own page has.
    assert reverse("admin:blog_post_change", args=[posts[0].pk]) not in page


def test_the_page_reads_no_post_and_costs_the_same_queries_for_3_posts_and_300(admin_client):
    few, many = UserFactory(), UserFactory()
    PostFactory.create_batch(3, author=few)
    Post.objects.bulk_create(Post(author=many, body=f"post {n}") for n in range(300))

    with CaptureQueriesContext(connection) as queries:
        assert delete_page(admin_client, few)[1] == delete_page(admin_client, many)[1]

    # Counted, never loaded: no query reads a post's body.
    assert not [query["sql"] for query in queries if "body" in query["sql"]]


def test_the_rest_of_what_goes_is_listed_as_django_lists_it(admin_client):
    mary = UserFactory(username="mary")
    PostFactory(author=mary)
    mary.groups.create(name="editors")

    page = delete_page(admin_client, mary)[0].content.decode()

    assert (
        f'User: <a href="{reverse("admin:accounts_user_change", args=[mary.pk])}">mary</a>' in page
    )
    assert "User-group relationship" in page


def test_a_user_without_posts_has_no_posts_line(admin_client):
    response, _ = delete_page(admin_client, UserFactory())

    assert "Posts:" not in response.content.decode()
    assert list(response.context["model_count"]) == [("users", 1)]


def test_staff_who_may_delete_users_but_not_posts_are_told_so(client):
    client.force_login(staff_with("delete_user", "view_user"))
    mary = UserFactory(username="mary")
    PostFactory(author=mary)

    response, _ = delete_page(client, mary)

    assert response.context["perms_lacking"] == {"post"}
    # And the delete itself is refused.
    client.post(reverse("admin:accounts_user_delete", args=[mary.pk]), {"post": "yes"})
    assert User.objects.filter(pk=mary.pk).exists()


def test_confirming_deletes_the_user_and_every_post(admin_client):
    mary = UserFactory()
    Post.objects.bulk_create(Post(author=mary, body=f"post {n}") for n in range(300))

    response = admin_client.post(
        reverse("admin:accounts_user_delete", args=[mary.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk=mary.pk).exists()
    assert not Post.objects.filter(author_id=mary.pk).exists()
