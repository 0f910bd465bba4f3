"""Exports longer than EXPORT_STREAMED_MAX_ROWS are written by the worker to a file, with their
progress on a page of their own, then downloaded: the same file the streamed export gives."""

import os
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import User
from spreadsheets import exporting
from spreadsheets.models import Export
from tests.factories import PostFactory, UserFactory
from tests.spreadsheet_files import TASKS_RUN_AT_ONCE
from tests.test_spreadsheet_export import export, rows_of

pytestmark = pytest.mark.django_db

FILTERS = {"q": "coffee", "timestamp__range__lte": "2026-03-10"}


@pytest.fixture(autouse=True)
def folders(settings, tmp_path):
    settings.TASKS = TASKS_RUN_AT_ONCE
    settings.EXPORT_DIR = str(tmp_path / "exports")


@pytest.fixture
def posts():
    mary = UserFactory(username="mary")
    for day, body in enumerate(["coffee", "=1+1 coffee", "tea", "more coffee", "coffee!"], 1):
        PostFactory(author=mary, body=body, timestamp=datetime(2026, 3, day, tzinfo=UTC))
    PostFactory(author=mary, body="coffee, later", timestamp=datetime(2026, 4, 1, tzinfo=UTC))


def ask(client, file_format: str, **params):
    return client.get(reverse("admin:blog_post_export", args=[file_format]), params)


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_a_long_list_is_written_in_the_background_and_downloaded(
    admin_client, posts, settings, file_format
):
    streamed = export(admin_client, "post", file_format, **FILTERS)
    settings.EXPORT_STREAMED_MAX_ROWS = 3  # the filtered list has 4 posts

    response = ask(admin_client, file_format, **FILTERS)

    job = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:blog_post_export_status", args=[job.pk])
    # The worker has run (at once, in tests): the page offers the file.
    page = admin_client.get(response["Location"]).content.decode()
    assert "done: ready to download" in page
    assert "4 rows." in page
    download = admin_client.get(reverse("admin:blog_post_export_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    content = b"".join(download.streaming_content)
    # The same rows as the streamed export of the same filtered list.
    assert rows_of(content, file_format) == rows_of(streamed, file_format)
    assert len(rows_of(content, file_format)) == 5


def test_a_list_within_the_limit_still_streams(admin_client, posts, settings):
    settings.EXPORT_STREAMED_MAX_ROWS = 4

    response = ask(admin_client, "csv", **FILTERS)

    assert response.status_code == 200
    assert response.streaming
    assert not Export.objects.exists()


def test_the_page_shows_progress_while_the_worker_writes(admin_client, posts, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EXPORT_STREAMED_MAX_ROWS = 1

    status = ask(admin_client, "csv")["Location"]

    page = admin_client.get(status).content.decode()
    assert "writing the file" in page
    assert 'http-equiv="refresh"' in page
    job = Export.objects.get()
    # Not ready: no file to download yet.
    assert (
        admin_client.get(reverse("admin:blog_post_export_download", args=[job.pk])).status_code
        == 404
    )


def test_an_export_is_its_requesters_alone(client, admin_client, posts, settings):
    settings.EXPORT_STREAMED_MAX_ROWS = 1
    ask(admin_client, "csv")
    job = Export.objects.get()
    other = User.objects.create_superuser("other", "other@example.com", "x")
    client.force_login(other)

    assert client.get(reverse("admin:blog_post_export_status", args=[job.pk])).status_code == 404
    url = reverse("admin:blog_post_export_download", args=[job.pk])
    assert client.get(url).status_code == 404


def test_a_failed_export_leaves_no_file_and_says_why(admin_client, posts, settings, monkeypatch):
    settings.EXPORT_STREAMED_MAX_ROWS = 1

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(exporting, "write_file", broken)

    status = ask(admin_client, "csv")["Location"]

    job = Export.objects.get()
    assert job.state == Export.State.FAILED
    assert "The export failed: disk full" in admin_client.get(status).content.decode()
    assert os.listdir(settings.EXPORT_DIR) == []


def test_an_export_fails_if_its_requester_lost_the_view_permission_meanwhile(
    client, posts, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EXPORT_STREAMED_MAX_ROWS = 1
    editor = User.objects.create_user("editor", is_staff=True, is_superuser=True)
    client.force_login(editor)
    client.get(reverse("admin:blog_post_export", args=["csv"]))
    editor.is_superuser = False
    editor.save()
    job = Export.objects.get()

    with pytest.raises(PermissionDenied, match="may no longer view posts"):
        exporting.write(job)

    assert job.state == Export.State.FAILED
    assert os.listdir(settings.EXPORT_DIR) == []
