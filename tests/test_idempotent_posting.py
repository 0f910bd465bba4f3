"""An add-post form sent again (its answer lost to a 503 or a timeout, or a double click) finds
the post it made instead of adding a second: each add form carries a key, saved with its post.
tests/test_database_deadline.py sends one again after a real 503 on PostgreSQL."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from blog.models import Post, SentPostForm
from tests.factories import UserFactory
from tests.test_admin import post_form

pytestmark = pytest.mark.django_db

FORM_KEY = re.compile(r'<input type="hidden" name="form_key" value="([0-9a-f-]{36})"')


def form_key(page: str) -> str:
    found = FORM_KEY.search(page)
    assert found, "the add form has no key"
    return found.group(1)


def add_form_key(client) -> str:
    return form_key(client.get(reverse("admin:blog_post_add")).content.decode())


def test_every_add_form_carries_a_new_key(admin_client):
    assert add_form_key(admin_client) != add_form_key(admin_client)


def test_a_form_sent_twice_adds_one_post(admin_client):
    mary = UserFactory(username="mary")
    form = post_form(mary, "sent twice") | {"form_key": add_form_key(admin_client)}

    first = admin_client.post(reverse("admin:blog_post_add"), form)
    again = admin_client.post(reverse("admin:blog_post_add"), form)

    # Both answered as a saved post is: back to the list. One post, one key.
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"] == reverse("admin:blog_post_changelist")
    post = Post.objects.get()
    assert SentPostForm.objects.get().post == post
    said = [str(message) for message in get_messages(again.wsgi_request)]
    assert "This form was sent before: its post was added then, not again now." in said


def test_save_and_continue_sent_again_opens_the_post_it_made(admin_client):
    mary = UserFactory(username="mary")
    form = post_form(mary, "sent twice") | {
        "form_key": add_form_key(admin_client),
        "_continue": "Save and continue editing",
    }

    admin_client.post(reverse("admin:blog_post_add"), form)
    again = admin_client.post(reverse("admin:blog_post_add"), form)

    assert again["Location"] == reverse("admin:blog_post_change", args=[Post.objects.get().pk])


def test_a_form_sent_again_after_its_post_was_deleted_adds_nothing(admin_client):
    mary = UserFactory(username="mary")
    form = post_form(mary, "deleted since") | {"form_key": add_form_key(admin_client)}
    admin_client.post(reverse("admin:blog_post_add"), form)
    Post.objects.all().delete()

    again = admin_client.post(reverse("admin:blog_post_add"), form)

    assert again.status_code == 302
    assert not Post.objects.exists()
    said = [str(message) for message in get_messages(again.wsgi_request)]
    assert "This form was sent before; its post has since been deleted." in said


def test_two_forms_with_the_same_text_are_two_posts(admin_client):
    mary = UserFactory(username="mary")
    for _ in range(2):
        form = post_form(mary, "said twice") | {"form_key": add_form_key(admin_client)}
        assert admin_client.post(reverse("admin:blog_post_add"), form).status_code == 302

    assert Post.objects.filter(body="said twice").count() == 2


def test_a_form_without_a_key_still_adds_its_post(admin_client):
    # Opened before the key existed, or sent by a script.
    mary = UserFactory(username="mary")

    response = admin_client.post(reverse("admin:blog_post_add"), post_form(mary, "no key"))

    assert response.status_code == 302
    assert Post.objects.get().body == "no key"
    assert not SentPostForm.objects.exists()


def test_a_key_that_is_not_one_is_refused_and_nothing_is_added(admin_client):
    mary = UserFactory(username="mary")
    form = post_form(mary, "bad key") | {"form_key": "not-a-key"}

    response = admin_client.post(reverse("admin:blog_post_add"), form)

    assert response.status_code == 200
    assert "Enter a valid UUID." in response.content.decode()
    assert not Post.objects.exists()


def test_the_change_form_has_no_key(admin_client):
    post = Post.objects.create(body="old", author=UserFactory())

    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()

    assert 'name="form_key"' not in page
