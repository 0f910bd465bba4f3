"""The task worker (`manage.py db_worker`) outlives its database: against a private PostgreSQL
server stopped and started under it, it waits, says so once, goes on when the server is back,
and runs again the import the outage cut short, which is then written once."""

import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

from tests.child_process import PROJECT_ROOT, child_environment, run_python
from tests.private_postgres import Folder, PostgresServer, require_binaries, wait_until

# A PostgreSQL server of its own, stopped, crashed and started again: `make test` leaves it to
# `make test-all` (CI).
pytestmark = pytest.mark.slow

ROWS = 1_000
# An import of the posts file, checked (here, to spare the worker's time) and confirmed: its
# write queued for the worker, as the admin's Confirm button queues it.
CONFIRMED_IMPORT = """
import shutil, uuid
from django.conf import settings
from accounts.models import User
from spreadsheets import importing, tasks
from spreadsheets.models import Import
User.objects.get_or_create(username="mary", email="mary@example.com")
path = f"{settings.IMPORT_UPLOAD_DIR}/{uuid.uuid4().hex}.csv"
shutil.copy(POSTS_FILE, path)
job = Import.objects.create(kind="posts", file_name="posts.csv", file_format="csv", path=path)
importing.check(job)
assert Import.objects.filter(pk=job.pk, state="checked").update(state="writing")
tasks.write_import.enqueue(job.pk)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A private PostgreSQL server holding a migrated database that each test copies, and a
    posts file to import."""
    bindir = require_binaries()
    folder = Folder()
    server = PostgresServer(folder, bindir, "worker")
    try:
        folder.run(bindir / "initdb", "-D", server.data, "-A", "trust", "-U", "postgres", "-N")
        server.start()
        server.sql("CREATE DATABASE migrated")
        migrated = run_python(
            "manage.py", "migrate", "-v0", env={"DATABASE_URL": server.url("migrated")}
        )
        assert migrated.returncode == 0, migrated.stderr
        posts = tmp_path_factory.mktemp("worker") / "posts.csv"
        with open(posts, "w", newline="") as file:
            lines = csv.writer(file)
            lines.writerow(["author", "body", "timestamp"])
            for number in range(ROWS):
                hours, seconds = divmod(number, 3600)
                moment = f"2026-01-01T{hours:02}:{seconds // 60:02}:{seconds % 60:02}Z"
                lines.writerow(["mary", f"post {number}", moment])
        yield SimpleNamespace(server=server, posts=posts)
    finally:
        with suppress(subprocess.CalledProcessError):
            server.stop(mode="immediate")
        folder.remove()


@pytest.fixture
def database(server: SimpleNamespace, tmp_path: Path) -> Iterator[SimpleNamespace]:
    """A migrated database of the test's own, on the running server; uploads in tmp_path."""
    server.server.sql("CREATE DATABASE microblog TEMPLATE migrated")
    uploads = tmp_path / "imports"
    uploads.mkdir()
    env = {"DATABASE_URL": server.server.url("microblog"), "IMPORT_UPLOAD_DIR": str(uploads)}
    yield SimpleNamespace(server=server.server, env=env, posts=server.posts)
    server.server.sql("DROP DATABASE microblog WITH (FORCE)")


class Worker:
    """`manage.py db_worker` in a child process, as `make serve` runs it, its log in a file."""

    def __init__(self, env: dict[str, str]) -> None:
        self.log = Path(tempfile.mkstemp(prefix="microblog-worker-", suffix=".log")[1])
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2"],
                cwd=PROJECT_ROOT,
                env=child_environment(env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text()

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.log.unlink(missing_ok=True)


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def shell(database: SimpleNamespace, code: str) -> None:
    result = run_python("manage.py", "shell", "-v0", "-c", code, env=database.env)
    assert result.returncode == 0, result.stderr


def import_state(database: SimpleNamespace) -> str:
    return database.server.sql("SELECT state FROM spreadsheets_import", database="microblog")[0][0]


def confirmed_import(database: SimpleNamespace) -> None:
    shell(database, CONFIRMED_IMPORT.replace("POSTS_FILE", repr(str(database.posts))))


def posts(database: SimpleNamespace) -> tuple[int, int]:
    """(posts, distinct bodies)."""
    query = "SELECT count(*), count(DISTINCT body) FROM blog_post"
    return database.server.sql(query, database="microblog")[0]


def blocked_write(database: SimpleNamespace) -> psycopg.Connection:
    """Confirms an import while a transaction keeps others from adding posts (reading them is
    allowed: the check runs), so that its write waits for it; returns that transaction's
    connection once the write is waiting."""
    holder = psycopg.connect(database.server.url("microblog"))
    holder.execute("LOCK TABLE blog_post IN SHARE MODE")
    confirmed_import(database)
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    wait_until(
        lambda: database.server.sql(waiting)[0][0] == 1, seconds=30, what="the write to wait"
    )
    return holder


def test_the_worker_waits_out_a_database_outage_and_goes_on(
    database: SimpleNamespace, workers: list[Worker]
) -> None:
    workers.append(worker := Worker(database.env))
    # Running (on a busy machine Django's start alone can outlast the outage below).
    wait_until(lambda: "Starting worker" in worker.output(), seconds=60, what="the worker")

    database.server.stop()
    # Past two of its tries (after 1 and 3 s): still there, waiting.
    time.sleep(4)
    assert worker.alive(), worker.output()
    database.server.start()

    # It finds the server again by itself and takes the next task.
    confirmed_import(database)
    wait_until(lambda: import_state(database) == "done", seconds=60, what="the write")
    assert posts(database) == (ROWS, ROWS)
    # Said once when it began and once when it ended, whatever the number of tries between.
    log = worker.output()
    assert log.count("the database cannot be used: the task worker waits") == 1, log
    assert log.count("the database is back after") == 1, log
    assert "Traceback" not in log


def test_an_import_cut_short_by_the_outage_is_written_once_when_the_database_is_back(
    database: SimpleNamespace, workers: list[Worker]
) -> None:
    workers.append(worker := Worker(database.env))
    holder = blocked_write(database)

    # The server crashes under the write (the lock's holder with it).
    database.server.stop(mode="immediate")
    holder.close()
    time.sleep(3)
    assert worker.alive(), worker.output()
    database.server.start()

    # Run again by itself: written, each row once, and the task ends as a success.
    wait_until(lambda: import_state(database) == "done", seconds=60, what="the write")
    assert posts(database) == (ROWS, ROWS)
    tasks = "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status"
    assert database.server.sql(tasks, database="microblog") == [("SUCCESSFUL", 1)]
    log = worker.output()
    assert log.count("the database cannot be used") == 1, log
    assert log.count("the database is back after") == 1, log


def test_a_task_left_running_by_a_killed_worker_is_run_by_the_next_one(
    database: SimpleNamespace, workers: list[Worker]
) -> None:
    workers.append(killed := Worker(database.env))
    holder = blocked_write(database)

    killed.process.send_signal(signal.SIGKILL)
    killed.process.wait(timeout=30)
    holder.rollback()
    holder.close()
    # Left as it was: the import writing, its task running, nobody to finish either.
    assert import_state(database) == "writing"

    # What a supervisor does: start the worker again. It finds the orphan and runs it.
    workers.append(restarted := Worker(database.env))
    wait_until(lambda: import_state(database) == "done", seconds=60, what="the write")
    assert posts(database) == (ROWS, ROWS)
    assert "1 task left running by a worker that is gone: queued again" in restarted.output()


def test_a_write_that_fails_while_the_database_answers_fails_the_import_with_its_reason(
    database: SimpleNamespace, workers: list[Worker]
) -> None:
    workers.append(worker := Worker(database.env))
    holder = blocked_write(database)

    # An administrator cancels the waiting write: not an outage, so not run again by itself.
    cancel = "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    database.server.sql(cancel)
    holder.rollback()
    wait_until(lambda: import_state(database) == "failed", seconds=30, what="the failure")
    # The reason: the driver's error, its class first (QueryCanceled, from psycopg's COPY).
    error = database.server.sql("SELECT error FROM spreadsheets_import", database="microblog")
    assert error[0][0].endswith("Canceled: canceling statement due to user request")
    assert posts(database) == (0, 0)
    assert worker.alive()
    assert os.path.exists(
        database.server.sql("SELECT path FROM spreadsheets_import", database="microblog")[0][0]
    )
