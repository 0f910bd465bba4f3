"""Requests no page can use are a 400 with a message, before a view or the database sees them
(microblog/hostile_input.py); the fuzz test (test_fuzz.py) found why each is here."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from blog.models import Post
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/", {"before": "2024\x00"}),
        ("/admin/blog/post/", {"q\x00": "x"}),
        (
            "/admin/autocomplete/",
            {"term": "\x00", "app_label": "blog", "model_name": "post", "field_name": "author"},
        ),
        ("/admin/blog/post/\x00/change/", {}),
    ],
)
def test_a_nul_character_anywhere_in_a_get_is_a_400(admin_client, path, params):
    response = admin_client.get(path, params)
    assert response.status_code == 400
    assert b"may not contain a NUL character" in response.content


def test_a_nul_character_in_form_data_is_a_400_and_saves_nothing(admin_client, django_user_model):
    author = django_user_model.objects.create(username="mary", email="mary@example.com")
    form = {
        "body": "tea\x00",
        "author": author.pk,
        "timestamp_0": "2024-06-01",
        "timestamp_1": "12:00:00",
    }
    response = admin_client.post(reverse("admin:blog_post_add"), form)
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_an_empty_to_field_is_a_400_not_a_lookup_of_a_field_named_nothing(admin_client):
    post = PostFactory()
    response = admin_client.get(
        reverse("admin:blog_post_delete", args=[post.pk]), {"_to_field": ""}
    )
    assert response.status_code == 400
    assert b"_to_field must name a field" in response.content
    assert Post.objects.filter(pk=post.pk).exists()


def test_ordinary_requests_pass(admin_client):
    assert admin_client.get("/admin/blog/post/", {"q": "café"}).status_code == 200
    assert admin_client.get(reverse("admin:blog_post_add"), {"_to_field": "id"}).status_code != 400


def test_a_group_permission_id_past_the_columns_range_is_refused_not_a_500(admin_client):
    # Found by test_admin_hostile_input.py: SQLite's driver raised OverflowError on `pk__in`.
    form = {"name": "editors", "permissions": "99999999999999999999"}
    response = admin_client.post(reverse("admin:auth_group_add"), form)
    assert response.status_code == 200
    assert b"is not a valid value" in response.content
    assert not Group.objects.exists()
