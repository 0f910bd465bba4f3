"""No request waits on PostgreSQL or MariaDB past DATABASE_TIMEOUT_SECONDS (replicas/deadline.py):
against a private primary whose synchronous standby has left, and a lock held elsewhere, a post
answers the 503 page in time instead of hanging until gunicorn kills its worker; sent again once
the standby is back, the same form finds the post the primary kept and adds no second one. On
MariaDB, behind a row lock and behind a table's lock, likewise."""

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import suppress
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest

from tests.app_server import CSRF_TOKEN, AppServer, Browser
from tests.child_process import run_python
from tests.private_postgres import require_binaries, start_primary_and_standby, wait_until
from tests.servers import MARIADB, needs_mysqlclient, require
from tests.test_idempotent_posting import form_key
from tests.test_read_only_mode import add_post_form
from tests.test_read_replicas import ADMIN, PASSWORD, SET_UP

# A primary and a synchronous standby of its own, and gunicorn: `make test` leaves it to
# `make test-all` (CI).
pytestmark = pytest.mark.slow

TIMEOUT = 3
ADD = "/admin/blog/post/add/"


@pytest.fixture(scope="module")
def pair() -> Iterator[SimpleNamespace]:
    """A primary whose commits wait for its synchronous standby, migrated, with a superuser,
    and the app under gunicorn on the primary."""
    folder, primary, standby = start_primary_and_standby(require_binaries(), synchronous=True)
    server = None
    try:
        primary.sql("CREATE DATABASE microblog")
        env = {"DATABASE_URL": primary.url("microblog")}
        result = run_python("manage.py", "shell", "-v0", "-c", SET_UP, env=env)
        assert result.returncode == 0, result.stderr
        (admin_id,) = primary.sql("SELECT id FROM accounts_user", database="microblog")[0]
        server = AppServer({**env, "DATABASE_TIMEOUT_SECONDS": str(TIMEOUT)})
        yield SimpleNamespace(primary=primary, standby=standby, admin_id=admin_id, server=server)
    finally:
        if server is not None:
            server.stop()
        for node in (standby, primary):
            with suppress(subprocess.CalledProcessError):
                node.stop(mode="immediate")
        folder.remove()


def add_form(pair: SimpleNamespace, editor: Browser, body: str) -> dict[str, str]:
    """The add form as the editor's browser holds it, filled in: its CSRF token and its key."""
    _, page = editor.get(ADD)
    token = CSRF_TOKEN.search(page)
    assert token
    return {
        "csrfmiddlewaretoken": token.group(1),
        "form_key": form_key(page),
        **add_post_form(pair, body),
    }


def posts(pair: SimpleNamespace, body: str) -> int:
    query = "SELECT count(*) FROM blog_post WHERE body = %s"
    return pair.primary.sql(query, (body,), database="microblog")[0][0]


def timed_post(editor: Browser, form: dict[str, str]) -> tuple[int, float]:
    started = time.monotonic()
    status = editor.request("POST", ADD, form)[0]
    return status, time.monotonic() - started


def test_a_post_waiting_for_a_standby_that_left_is_a_503_and_sent_again_is_one_post(
    pair: SimpleNamespace,
) -> None:
    editor = Browser(pair.server)
    editor.log_in(ADMIN, PASSWORD)
    form = add_form(pair, editor, "while the standby was away")
    logged_before = pair.server.output()

    # The synchronous standby leaves, and nothing turns synchronous replication off (a frozen
    # Patroni): every commit on the primary waits for it.
    pair.standby.stop()
    status, seconds = timed_post(editor, form)

    # The read-only 503 in about the timeout, far from gunicorn's 30 s.
    assert status == 503, pair.server.output()[-4000:]
    assert TIMEOUT <= seconds < TIMEOUT + 5
    # PostgreSQL kept the commit on the primary alone when its wait was cancelled: the answer
    # could not say it was safe, so it was a 503.
    assert posts(pair, "while the standby was away") == 1
    # Sent again while the standby is still away, the form finds that post: it must not say so
    # (a 302) before the post is safe on the standby too, or a failover now, which rewinds the
    # primary, would lose a post whose form was answered. Its answer waits, and is a 503 again.
    status, seconds = timed_post(editor, form)
    assert status == 503
    assert TIMEOUT <= seconds < TIMEOUT + 5

    pair.standby.start()
    streaming = "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
    wait_until(lambda: pair.primary.sql(streaming)[0][0] == 1, seconds=30, what="the standby")
    # The editor sends the same form again: it finds the post, and adds no second one.
    assert editor.request("POST", ADD, form)[0] == 302
    assert posts(pair, "while the standby was away") == 1
    # Said once when requests began to take too long, and once when they stopped.
    log = pair.server.output().removeprefix(logged_before)
    assert log.count(f"the database took more than {TIMEOUT} s") == 1
    assert log.count("the database answers requests in time again") == 1
    assert "Service Unavailable" not in log
    assert "WORKER TIMEOUT" not in log


def test_a_post_waiting_for_a_lock_is_a_503_and_writes_nothing(pair: SimpleNamespace) -> None:
    editor = Browser(pair.server)
    editor.log_in(ADMIN, PASSWORD)
    form = add_form(pair, editor, "behind a lock")

    with psycopg.connect(pair.primary.url("microblog")) as holder:
        holder.execute("LOCK TABLE blog_post IN ACCESS EXCLUSIVE MODE")
        status, seconds = timed_post(editor, form)
        holder.rollback()

    assert status == 503, pair.server.output()[-4000:]
    assert TIMEOUT <= seconds < TIMEOUT + 5
    assert posts(pair, "behind a lock") == 0
    # Sent again with the lock gone: saved, once.
    assert editor.request("POST", ADD, form)[0] == 302
    assert posts(pair, "behind a lock") == 1


@pytest.fixture(scope="module")
def mariadb() -> Iterator[SimpleNamespace]:
    """The app under gunicorn on a MariaDB database of its own, migrated, with a superuser."""
    require(MARIADB)
    MySQLdb = pytest.importorskip("MySQLdb", reason="SKIPPED, NOT TESTED: make mysql-driver")
    name = f"deadline_{os.getpid()}"
    admin = MySQLdb.connect(host=MARIADB["host"], port=MARIADB["port"], user=MARIADB["user"])
    admin.autocommit(True)
    admin.cursor().execute(f"CREATE DATABASE {name}")
    url = f"mysql://{MARIADB['user']}@{MARIADB['host']}:{MARIADB['port']}/{name}"
    server = None
    try:
        result = run_python("manage.py", "shell", "-v0", "-c", SET_UP, env={"DATABASE_URL": url})
        assert result.returncode == 0, result.stderr

        def connect() -> Any:
            connection = MySQLdb.connect(
                host=MARIADB["host"], port=MARIADB["port"], user=MARIADB["user"], database=name
            )
            connection.autocommit(True)
            return connection

        cursor = connect().cursor()
        cursor.execute("SELECT id FROM accounts_user")
        (admin_id,) = cursor.fetchone()
        server = AppServer({"DATABASE_URL": url, "DATABASE_TIMEOUT_SECONDS": str(TIMEOUT)})
        yield SimpleNamespace(server=server, admin_id=admin_id, connect=connect)
    finally:
        if server is not None:
            server.stop()
        admin.cursor().execute(f"DROP DATABASE {name}")
        admin.close()


# What keeps a post waiting on MariaDB: a row lock for innodb_lock_wait_timeout (50 s), the
# table's metadata lock for lock_wait_timeout (a year). Both beyond gunicorn's 30 s.
HOLDERS = {
    "a row lock on the author": "SELECT id FROM accounts_user WHERE id = {admin_id} FOR UPDATE",
    "the posts table's lock": "LOCK TABLES blog_post WRITE",
}


@needs_mysqlclient
@pytest.mark.parametrize("holder_statement", HOLDERS.values(), ids=HOLDERS.keys())
def test_on_mariadb_a_post_waiting_for_a_lock_is_a_503_and_writes_nothing(
    mariadb: SimpleNamespace, holder_statement: str
) -> None:
    editor = Browser(mariadb.server)
    editor.log_in(ADMIN, PASSWORD)
    body = f"behind {holder_statement[:20]}"
    form = add_form(mariadb, editor, body)
    counter = mariadb.connect().cursor()

    holder = mariadb.connect()
    try:
        holder.autocommit(False)
        holder.cursor().execute(holder_statement.format(admin_id=mariadb.admin_id))
        status, seconds = timed_post(editor, form)
    finally:
        holder.close()  # its lock goes with it

    assert status == 503, mariadb.server.output()[-4000:]
    assert TIMEOUT <= seconds < TIMEOUT + 5
    counter.execute("SELECT count(*) FROM blog_post WHERE body = %s", (body,))
    assert counter.fetchone() == (0,)
    # Sent again with the lock gone: saved, once.
    assert editor.request("POST", ADD, form)[0] == 302
    counter.execute("SELECT count(*) FROM blog_post WHERE body = %s", (body,))
    assert counter.fetchone() == (1,)
    assert "WORKER TIMEOUT" not in mariadb.server.output()
