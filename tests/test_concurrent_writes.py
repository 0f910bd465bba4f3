"""Several processes writing at once lose nothing and never see "database is locked"."""

import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from blog.models import Post
from tests.child_process import PROJECT_ROOT
from tests.factories import UserFactory

WRITERS = 4
POSTS_EACH = 500


def url_of_test_database():
    """DATABASE_URL for the database this test run uses (pytest-django's test_... copy)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[connection.vendor]
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"{scheme}://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_four_processes_insert_2000_posts_at_once():
    if connection.vendor == "sqlite":
        # WAL lets readers go on while one process writes (microblog/database.py sets it).
        with connection.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    author = UserFactory()
    env = {**os.environ, "DATABASE_URL": url_of_test_database(), "DJANGO_ENV": "development"}
    start_at = time.time() + 3  # all four connect first, then start writing together
    command = [sys.executable, "-m", "tests.concurrent_writer", str(author.pk), str(POSTS_EACH)]

    writers = [
        subprocess.Popen(
            [*command, str(start_at)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WRITERS)
    ]
    results = [(w.wait(timeout=300), *w.communicate()) for w in writers]

    for returncode, _, stderr in results:
        assert "database is locked" not in stderr
        assert returncode == 0, stderr[-2000:]
    assert Post.objects.filter(author=author).count() == WRITERS * POSTS_EACH
