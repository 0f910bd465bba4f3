"""Importing needs the model's add and change permissions; exporting needs its view permission."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from blog.models import Post
from spreadsheets.models import Import
from tests.factories import UserFactory
from tests.spreadsheet_files import TASKS_RUN_AT_ONCE, csv_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tasks_at_once(settings, tmp_path):
    settings.TASKS = TASKS_RUN_AT_ONCE
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "imports")


def staff_with(client, *codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


POSTS = [["author", "body", "timestamp"], ["mary", "hello", "2026-01-01T00:00:00Z"]]


@pytest.mark.parametrize("codenames", [("view_post",), ("view_post", "add_post")])
def test_staff_without_add_and_change_cannot_import(client, codenames):
    UserFactory(username="mary")
    staff_with(client, *codenames)

    page = client.get(reverse("admin:blog_post_import"))
    upload = client.post(reverse("admin:blog_post_import"), {"file": csv_file(POSTS)})

    assert (page.status_code, upload.status_code) == (403, 403)
    assert not Import.objects.exists()
    # The list offers no import button either.
    assert "Import from a file" not in client.get(reverse("admin:blog_post_changelist")).text


def test_staff_without_add_and_change_cannot_confirm_anothers_import(client):
    UserFactory(username="mary")
    staff_with(client, "view_post", "add_post", "change_post")
    client.post(reverse("admin:blog_post_import"), {"file": csv_file(POSTS)})
    job = Import.objects.get()
    staff_with(client, "view_post")

    response = client.post(reverse("admin:blog_post_import_status", args=[job.pk]))

    assert response.status_code == 403
    assert not Post.objects.exists()


def test_staff_with_add_and_change_can_import(client):
    UserFactory(username="mary")
    staff_with(client, "view_post", "add_post", "change_post")

    assert "Import from a file" in client.get(reverse("admin:blog_post_changelist")).text
    client.post(reverse("admin:blog_post_import"), {"file": csv_file(POSTS)})
    client.post(reverse("admin:blog_post_import_status", args=[Import.objects.get().pk]))

    assert Post.objects.get().body == "hello"


def test_exporting_needs_the_view_permission(client):
    staff_with(client, "view_user")

    posts = client.get(reverse("admin:blog_post_export", args=["csv"]))
    users = client.get(reverse("admin:accounts_user_export", args=["csv"]))

    assert posts.status_code == 403
    assert users.status_code == 200
