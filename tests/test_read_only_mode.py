"""When the primary fails: against a private PostgreSQL primary and its streaming standby, the
primary stopped with every row on the standby. Public pages go on from the standby, writes,
logins and the admin answer the read-only 503, /healthz says read-only, the log says it once;
and a connection held to a leader that was demoted is dropped on its first refused write."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest

from tests.app_server import CSRF_TOKEN, AppServer, Browser
from tests.child_process import run_python
from tests.private_postgres import (
    children,
    require_binaries,
    start_primary_and_standby,
    wait_until,
)
from tests.test_read_replicas import (
    ADMIN,
    PASSWORD,
    SET_UP,
    new_post,
    standby_paused,
    wait_until_replayed,
)


@pytest.fixture
def pair() -> Iterator[SimpleNamespace]:
    """A primary and a standby, migrated, with a superuser. Per test: tests stop and promote."""
    folder, primary, standby = start_primary_and_standby(require_binaries())
    try:
        primary.sql("CREATE DATABASE microblog")
        env = {"DATABASE_URL": primary.url("microblog")}
        result = run_python("manage.py", "shell", "-v0", "-c", SET_UP, env=env)
        assert result.returncode == 0, result.stderr
        (admin_id,) = primary.sql("SELECT id FROM accounts_user", database="microblog")[0]
        pair = SimpleNamespace(primary=primary, standby=standby, admin_id=admin_id)
        wait_until_replayed(pair)
        yield pair
    finally:
        for server in (standby, primary):
            with suppress(subprocess.CalledProcessError):
                server.stop(mode="immediate")
        folder.remove()


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, str]], AppServer]]:
    """`serve(env)`: the app under gunicorn (one worker), stopped after the test."""
    servers: list[AppServer] = []

    def start(env: dict[str, str]) -> AppServer:
        servers.append(AppServer({"REPLICA_RETRY_SECONDS": "1", **env}))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def healthz(browser: Browser) -> tuple[int, dict[str, Any]]:
    status, text, _ = browser.request("GET", "/healthz")
    return status, json.loads(text)


def csrf_token(page: str) -> str:
    found = CSRF_TOKEN.search(page)
    assert found, "the form has no CSRF token"
    return found.group(1)


def add_post_form(pair: SimpleNamespace, body: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "body": body,
        "author": pair.admin_id,
        "timestamp_0": now.strftime("%Y-%m-%d"),
        "timestamp_1": now.strftime("%H:%M:%S"),
        "_save": "Save",
    }


def test_with_the_primary_down_the_site_reads_from_the_standby_and_refuses_writes(
    pair: SimpleNamespace, serve: Callable[[dict[str, str]], AppServer]
) -> None:
    server = serve(
        {
            "DATABASE_URL": pair.primary.url("microblog"),
            "DATABASE_REPLICA_URLS": pair.standby.url("microblog"),
        }
    )
    visitor, editor, stranger = Browser(server), Browser(server), Browser(server)
    editor.log_in(ADMIN, PASSWORD)
    _, add_form = editor.get("/admin/blog/post/add/")
    _, login_form = stranger.get("/admin/login/")
    body = new_post(pair, "the last post before the primary fails")
    wait_until_replayed(pair)

    pair.primary.stop(mode="immediate")
    try:
        # Long past REPLICA_MAX_LAG_SECONDS (5 s) by the usual measure, which only grows now:
        # the standby has replayed all it received, so it still serves the public pages.
        pair.standby.sql("SELECT pg_sleep(6)")
        for reader in (visitor, editor):  # the editor wrote (logged in) a moment ago
            status, page = reader.get("/")
            assert status == 200
            assert body in page
        assert healthz(visitor) == (
            200,
            {
                "status": "read-only",
                "databases": {
                    "default": "down: OperationalError",
                    "replica_1": "ok: all it received replayed (read-only)",
                },
            },
        )
        # A write, a login and the admin: 503, try again later, the site is read-only for now.
        post = {"csrfmiddlewaretoken": csrf_token(add_form)}
        login = {"csrfmiddlewaretoken": csrf_token(login_form)}
        for browser, method, path, form in [
            (editor, "POST", "/admin/blog/post/add/", post | add_post_form(pair, "refused")),
            (stranger, "POST", "/admin/login/", login | {"username": ADMIN, "password": PASSWORD}),
            (editor, "GET", "/admin/", None),
        ]:
            status, page, headers = browser.request(method, path, form)
            assert (method, path, status) == (method, path, 503)
            assert headers["Retry-After"] == "30"
            assert "The site is read-only for now" in page
        # The standby stopped too: nothing can serve the public pages.
        pair.standby.stop()
        try:
            assert visitor.get("/")[0] == 503
            assert healthz(visitor)[1]["status"] == "down"
            assert healthz(visitor)[0] == 503
        finally:
            pair.standby.start()
        wait_until(lambda: visitor.get("/")[0] == 200, what="the standby to serve again")
    finally:
        pair.primary.start()

    # The primary back: writes work again, without restarting the app.
    wait_until(
        lambda: healthz(visitor)[1]["status"] == "healthy", what="/healthz to see the primary"
    )
    assert editor.submit("/admin/blog/post/add/", add_post_form(pair, "after the outage")) == 302
    # Said once when it began and once when it ended, whatever the number of requests between.
    log = server.output()
    assert log.count("the primary cannot take writes: the site is read-only") == 1
    assert log.count("the primary is back") == 1
    # Not a line for each refused request (Django logs every other 5xx at ERROR).
    assert "Service Unavailable" not in log, log
    assert "Traceback" not in log


@pytest.mark.parametrize("pool", ["off", "on"])
def test_a_write_on_a_demoted_leader_is_a_503_and_the_next_request_finds_the_new_one(
    pair: SimpleNamespace, serve: Callable[[dict[str, str]], AppServer], pool: str
) -> None:
    # Both servers in DATABASE_URL: libpq keeps the first that takes writes.
    hosts = f"127.0.0.1:{pair.primary.port},127.0.0.1:{pair.standby.port}"
    server = serve(
        {"DATABASE_URL": f"postgres://postgres@{hosts}/microblog", "DATABASE_POOL": pool}
    )
    editor = Browser(server)
    editor.log_in(ADMIN, PASSWORD)
    assert editor.submit("/admin/blog/post/add/", add_post_form(pair, "on the first leader")) == 302
    wait_until_replayed(pair)

    # A failover whose old leader keeps its connections: it stops taking writes (as a demoted
    # one does; libpq's read-write test sees it as read-only) and the standby is promoted.
    pair.primary.sql("ALTER SYSTEM SET default_transaction_read_only = on")
    pair.primary.sql("SELECT pg_reload_conf()")
    pair.standby.sql("SELECT pg_promote()")

    # The worker's held connection reaches the old leader: this write is refused, a 503...
    assert editor.submit("/admin/blog/post/add/", add_post_form(pair, "refused")) == 503
    # ...and the next connects afresh, to the new leader.
    assert editor.submit("/admin/blog/post/add/", add_post_form(pair, "on the new leader")) == 302
    bodies = pair.standby.sql("SELECT body FROM blog_post ORDER BY id", database="microblog")
    assert bodies == [("on the first leader",), ("on the new leader",)]
    assert "Traceback" not in server.output()


def test_a_standby_skipped_for_lag_just_before_the_primary_fails_serves_at_once(
    pair: SimpleNamespace, serve: Callable[[dict[str, str]], AppServer]
) -> None:
    # A standby found lagging is not asked again for REPLICA_RETRY_SECONDS: here, a minute.
    # That answer was judged against a primary that answered; once the primary fails, a standby
    # that has since replayed all it received is the best there is, and must serve at once.
    server = serve(
        {
            "DATABASE_URL": pair.primary.url("microblog"),
            "DATABASE_REPLICA_URLS": pair.standby.url("microblog"),
            "REPLICA_MAX_LAG_SECONDS": "1",
            "REPLICA_RETRY_SECONDS": "60",
        }
    )
    visitor = Browser(server)
    with standby_paused(pair):
        body = new_post(pair, "written while the standby lags")
        time.sleep(1.2)  # past the lag limit, and past the second a healthy answer is trusted
        assert visitor.get("/")[0] == 200
        assert "replica_1 is skipped" in server.output()
    # standby_paused waited until the standby had replayed everything: now the primary fails.
    pair.primary.stop(mode="immediate")

    status, page = visitor.get("/")
    assert status == 200
    assert body in page
    assert healthz(visitor)[1]["status"] == "read-only"


def received_but_not_replayed(pair: SimpleNamespace) -> bool:
    """The standby has WAL it cannot replay yet, and its replay has stopped: the tail of what it
    received is part of a record (the rest is still on the primary)."""
    query = "SELECT pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()"
    received, replayed = pair.standby.sql(query)[0]
    time.sleep(0.5)  # the startup process had time to replay whatever was whole
    return bool(received > replayed and pair.standby.sql(query)[0] == (received, replayed))


# A private pair and gunicorn for one test, and seconds of waiting: make test-all (CI).
@pytest.mark.slow
def test_a_standby_whose_wal_ends_in_part_of_a_record_serves_when_the_primary_fails(
    pair: SimpleNamespace, serve: Callable[[dict[str, str]], AppServer]
) -> None:
    # The leader killed while a big import was being written (issue 25): the standby received
    # the transaction's WAL up to the primary's last flush, a page boundary, mid-record. It can
    # never replay that record, yet it holds every committed transaction: it must serve.
    server = serve(
        {
            "DATABASE_URL": pair.primary.url("microblog"),
            "DATABASE_REPLICA_URLS": pair.standby.url("microblog"),
            "REPLICA_MAX_LAG_SECONDS": "1",
            "REPLICA_RETRY_SECONDS": "60",
        }
    )
    visitor = Browser(server)
    body = new_post(pair, "the last post before the big transaction")
    big_transaction = psycopg.connect(pair.primary.url("microblog"))
    try:
        # One record bigger than the primary's WAL buffers (4 MB), in a transaction left open:
        # the primary must write its first pages before it has inserted the last, and then
        # flushes them (whole pages), so the standby receives part of the record. An import's
        # rows do the same by chance: the last page flushed often ends mid-record.
        big_transaction.execute(
            "SELECT pg_logical_emit_message(true, 'import', repeat('x', 16 * 1024 * 1024))"
        )
        wait_until(
            lambda: received_but_not_replayed(pair),
            what="the standby to receive part of the record and replay all before it",
        )
        time.sleep(1.2)  # past the lag limit since the last commit it replayed
        # The primary is up and busy: the standby has all its commits, so it serves.
        assert healthz(visitor)[1]["databases"]["replica_1"] == "ok"

        pair.primary.stop(mode="immediate")
    finally:
        with suppress(psycopg.Error):  # the primary is gone: nothing to roll back
            big_transaction.close()
    time.sleep(1.2)
    status, page = visitor.get("/")
    assert status == 200
    assert body in page
    assert healthz(visitor)[1]["status"] == "read-only"
    assert "replica_1 is skipped" not in server.output()


# A private pair and gunicorn for one test, and seconds of waiting: make test-all (CI).
@pytest.mark.slow
def test_a_standby_that_stops_answering_mid_read_is_left_for_the_primary(
    pair: SimpleNamespace, serve: Callable[[dict[str, str]], AppServer]
) -> None:
    # A standby whose PostgreSQL sleeps (every process of it stopped, as a frozen machine's
    # would): the kernel keeps the worker's connection open, so nothing times out by itself, and
    # the cancel goes to its sleeping postmaster. The read must be served from the primary.
    server = serve(
        {
            "DATABASE_URL": pair.primary.url("microblog"),
            "DATABASE_REPLICA_URLS": pair.standby.url("microblog"),
            "REPLICA_TIMEOUT_SECONDS": "2",
        }
    )
    visitor = Browser(server)
    body = new_post(pair, "written before the standby froze")
    wait_until_replayed(pair)
    assert visitor.get("/")[0] == 200  # the worker holds a connection to the standby now

    postmaster = int((pair.standby.data / "postmaster.pid").read_text().split()[0])
    frozen = [postmaster, *children(postmaster)]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(1.2)  # past the second a healthy standby's answer is trusted
        started = time.monotonic()
        status, page = visitor.get("/")
        took = time.monotonic() - started
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)

    assert status == 200
    assert body in page
    # The bound (2 s), then a new connection's connect_timeout (3 s), then the primary (with
    # room for a busy machine); without the bound it waits for as long as the standby sleeps.
    assert took < 2 + 3 + 5, took
    assert "replica_1 is skipped" in server.output()
