"""Who may do what in the admin: staff status lets a user in, permissions decide what they touch."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from blog.models import Post
from tests.factories import PASSWORD, PostFactory, UserFactory
from tests.test_admin import post_form

pytestmark = pytest.mark.django_db


def staff_with(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_staff_without_post_permissions_cannot_see_add_or_change_posts(client):
    post = PostFactory(body="original")
    client.force_login(staff_with())

    # In the admin, but posts are not there for them...
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:blog_post_changelist")).status_code == 403
    assert client.get(reverse("admin:blog_post_add")).status_code == 403
    # ...and sending the forms anyway changes nothing.
    add = client.post(reverse("admin:blog_post_add"), post_form(post.author, "sneaked in"))
    change = client.post(
        reverse("admin:blog_post_change", args=[post.pk]), post_form(post.author, "rewritten")
    )
    assert (add.status_code, change.status_code) == (403, 403)
    assert list(Post.objects.values_list("body", flat=True)) == ["original"]


def test_staff_who_may_only_view_posts_cannot_change_them(client):
    post = PostFactory(body="original")
    client.force_login(staff_with("view_post"))

    assert client.get(reverse("admin:blog_post_changelist")).status_code == 200
    response = client.post(
        reverse("admin:blog_post_change", args=[post.pk]), post_form(post.author, "rewritten")
    )

    assert response.status_code == 403
    post.refresh_from_db()
    assert post.body == "original"


def test_staff_given_the_add_permission_can_add_posts(client):
    # The same request as above succeeds once the permission is there: the 403s are permissions.
    author = UserFactory()
    # view_user too: the author box searches users, which needs it.
    client.force_login(staff_with("add_post", "view_user"))

    response = client.post(reverse("admin:blog_post_add"), post_form(author, "allowed"))

    assert response.status_code == 302
    assert Post.objects.get().body == "allowed"


def test_a_non_staff_user_cannot_log_in_to_the_admin(client):
    UserFactory(username="reader")

    response = client.post(reverse("admin:login"), {"username": "reader", "password": PASSWORD})

    assert response.status_code == 200
    assert "enter the correct username and password for a staff account" in response.text
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_logged_in_non_staff_user_is_sent_to_the_login_page(client):
    client.force_login(UserFactory())

    for url in (reverse("admin:index"), reverse("admin:blog_post_add")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
