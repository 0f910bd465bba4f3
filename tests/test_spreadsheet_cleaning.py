"""Uploads checked but never confirmed (or failed), and exports' files, are removed once older
than SPREADSHEET_FILES_KEEP_HOURS: by the next upload or export, or by forget_spreadsheet_files."""

import os
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from spreadsheets.models import Export, Import
from tests.factories import PostFactory, UserFactory
from tests.spreadsheet_files import TASKS_RUN_AT_ONCE, confirm, csv_file, upload

pytestmark = pytest.mark.django_db

POSTS = [["author", "body", "timestamp"], ["mary", "hello", "2026-11-30T10:00:00Z"]]


@pytest.fixture(autouse=True)
def folders(settings, tmp_path):
    settings.TASKS = TASKS_RUN_AT_ONCE
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "imports")
    settings.EXPORT_DIR = str(tmp_path / "exports")
    settings.SPREADSHEET_FILES_KEEP_HOURS = 24


def age(model: type[Import] | type[Export], hours: float) -> None:
    """Moves every row of `model` `hours` into the past."""
    then = timezone.now() - timedelta(hours=hours)
    if model is Import:
        Import.objects.update(uploaded_at=then)
    else:
        Export.objects.update(requested_at=then, finished_at=then)


def files(folder: str) -> list[str]:
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_an_unconfirmed_upload_is_removed_by_a_later_upload(admin_client, settings):
    UserFactory(username="mary")
    stale = upload(admin_client, "post", csv_file(POSTS))
    assert len(files(settings.IMPORT_UPLOAD_DIR)) == 2  # the upload and its plan
    age(Import, 25)

    fresh = upload(admin_client, "post", csv_file(POSTS, name="again.csv"))

    stale.refresh_from_db()
    assert stale.state == Import.State.EXPIRED
    # Only the new upload's files are left, and the old one can no longer be confirmed.
    assert files(settings.IMPORT_UPLOAD_DIR) == sorted(
        os.path.basename(path) for path in (fresh.path, f"{fresh.path}.plan.csv")
    )
    assert confirm(admin_client, stale).state == Import.State.EXPIRED
    assert not Post.objects.exists()
    assert (
        "expired: not confirmed in time"
        in admin_client.get(
            reverse("admin:blog_post_import_status", args=[stale.pk])
        ).content.decode()
    )


def test_a_recent_upload_is_kept(admin_client, settings):
    UserFactory(username="mary")
    job = upload(admin_client, "post", csv_file(POSTS))
    age(Import, 23)

    call_command("forget_spreadsheet_files", stdout=StringIO())

    job.refresh_from_db()
    assert job.state == Import.State.CHECKED
    assert confirm(admin_client, job).state == Import.State.DONE


def test_the_command_removes_old_uploads_and_exports(admin_client, settings):
    UserFactory(username="mary")
    upload(admin_client, "post", csv_file(POSTS))
    PostFactory.create_batch(3)
    settings.EXPORT_STREAMED_MAX_ROWS = 1
    admin_client.get(reverse("admin:blog_post_export", args=["csv"]))
    export = Export.objects.get()
    assert files(settings.EXPORT_DIR) == [os.path.basename(export.path)]
    age(Import, 30)
    age(Export, 30)
    out = StringIO()

    call_command("forget_spreadsheet_files", stdout=out)

    assert out.getvalue() == ("Removed 1 unconfirmed upload and 1 export older than 24 hours.\n")
    assert files(settings.IMPORT_UPLOAD_DIR) == files(settings.EXPORT_DIR) == []
    export.refresh_from_db()
    assert export.state == Export.State.EXPIRED
    download = reverse("admin:blog_post_export_download", args=[export.pk])
    assert admin_client.get(download).status_code == 404


def test_written_and_refused_imports_left_no_files_to_clean(admin_client, settings):
    UserFactory(username="mary")
    confirm(admin_client, upload(admin_client, "post", csv_file(POSTS)))
    upload(admin_client, "post", csv_file([POSTS[0], ["nobody", "x", "2026-01-01T00:00Z"]]))

    assert files(settings.IMPORT_UPLOAD_DIR) == []


def test_a_failed_import_keeps_its_file_as_long_as_an_unconfirmed_one(admin_client, settings):
    UserFactory(username="mary")
    failed = upload(admin_client, "post", csv_file(POSTS))
    # Kept for a second try ("Check the file again") while it is recent.
    Import.objects.update(state=Import.State.FAILED, error="OperationalError: the server left")
    call_command("forget_spreadsheet_files", stdout=StringIO())
    assert len(files(settings.IMPORT_UPLOAD_DIR)) == 2
    age(Import, 25)

    call_command("forget_spreadsheet_files", stdout=StringIO())

    failed.refresh_from_db()
    assert failed.state == Import.State.EXPIRED
    assert files(settings.IMPORT_UPLOAD_DIR) == []
