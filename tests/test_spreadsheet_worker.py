"""Imports run in django-tasks' database worker, not in the request: the page shows progress."""

import pytest
from django.core.management import call_command

from blog.models import Post
from spreadsheets.models import Import
from tests.factories import UserFactory
from tests.spreadsheet_files import confirm, csv_file, status_page, upload

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
