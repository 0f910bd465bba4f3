"""Imports run in django-tasks' database worker, not in the request: the page shows progress,
and a failure says why and offers a second try."""

import os

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from blog.models import Post
from spreadsheets.models import Import
from tests.factories import UserFactory
from tests.spreadsheet_files import confirm, csv_file, status_page, status_url, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def worker_keeps_the_test_connection(monkeypatch):
    # The worker closes connections between tasks; inside a test's transaction Django takes the
    # connection for a stale one (autocommit off) and closes it, losing the test's data.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def test_the_worker_checks_and_writes_what_the_admin_queued(admin_client, settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path)
    UserFactory(username="mary")
    rows = [["author", "body", "timestamp"], ["mary", "queued", "2026-01-01T00:00:00Z"]]

    job = upload(admin_client, "post", csv_file(rows))

    # Queued: the request returned at once, and the page says it is under way.
    assert job.state == Import.State.CHECKING
    page = status_page(admin_client, job)
    assert "checking the file" in page
    assert 'http-equiv="refresh"' in page
    run_worker()
    job.refresh_from_db()
    assert job.state == Import.State.CHECKED
    assert confirm(admin_client, job).state == Import.State.WRITING
    assert not Post.objects.exists()
    run_worker()
    job.refresh_from_db()
    assert job.state == Import.State.DONE
    assert Post.objects.get().body == "queued"
    # The upload is gone from disk once written.
    assert not list(tmp_path.iterdir())


def test_an_import_the_worker_failed_says_why_and_can_be_checked_again(
    admin_client, settings, tmp_path
):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path)
    UserFactory(username="mary")
    rows = [["author", "body", "timestamp"], ["mary", "second try", "2026-01-01T00:00:00Z"]]
    job = upload(admin_client, "post", csv_file(rows))
    run_worker()
    # The plan the check left beside the upload is lost (a disk cleaned by hand): the write
    # cannot go on, through no fault of the file.
    os.remove(f"{Import.objects.get().path}.plan.csv")

    confirm(admin_client, job)
    run_worker()

    job.refresh_from_db()
    assert job.state == Import.State.FAILED
    assert job.error.startswith("FileNotFoundError: ")
    page = status_page(admin_client, job)
    assert "Nothing was written: the background worker failed (FileNotFoundError: " in page
    assert 'name="check_again"' in page
    # Checked again from the start, then written once confirmed.
    admin_client.post(status_url(job), {"check_again": "Check the file again"})
    job.refresh_from_db()
    assert (job.state, job.error) == (Import.State.CHECKING, "")
    run_worker()
    assert confirm(admin_client, job).state == Import.State.WRITING
    run_worker()
    job.refresh_from_db()
    assert job.state == Import.State.DONE
    assert Post.objects.get().body == "second try"


def test_a_confirmation_sent_again_writes_the_import_once(admin_client, settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path)
    UserFactory(username="mary")
    rows = [["author", "body", "timestamp"], ["mary", "confirmed twice", "2026-01-01T00:00:00Z"]]
    job = upload(admin_client, "post", csv_file(rows))
    run_worker()

    # A double click, or the form sent again after its answer was lost: one write queued.
    confirm(admin_client, job)
    confirm(admin_client, job)
    assert DBTaskResult.objects.filter(task_path__endswith="write_import").count() == 1
    run_worker()
    # Sent again once written: the page says it is done, and nothing more is written.
    assert confirm(admin_client, job).state == Import.State.DONE
    run_worker()
    assert Post.objects.filter(body="confirmed twice").count() == 1
