"""Read replicas against real servers: a private PostgreSQL primary and a streaming standby.

The standby is made to lag with pg_wal_replay_pause(): a post written on the primary then
exists there only, so whether a page shows it tells which server the page read from."""

import json
import subprocess
import time
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

from microblog.database import database_from_url, replicas_from_urls
from replicas.status import LAG_SQL
from tests.app_server import AppServer, Browser
from tests.child_process import run_python
from tests.private_postgres import require_binaries, start_primary_and_standby, wait_until

ADMIN, PASSWORD = "admin", "a-long-test-password"
# Short windows keep the tests quick: the visitor's reads stay on the primary for 2 s after a
# write; a replica found down is retried after 1 s.
BASE_DIR = Path("/srv/microblog")
READ_YOUR_WRITES_SECONDS = 2
RETRY_SECONDS = 1


def test_without_replica_urls_nothing_changes():
    # In a child process: make test-all's replica run sets DATABASE_REPLICA_URLS for this one.
    show = "print(list(settings.DATABASES), settings.DATABASE_ROUTERS)"
    result = run_python(
        "manage.py", "shell", "-v0", "-c", f"from django.conf import settings; {show}"
    )

    assert result.stdout == "['default'] []\n", result.stderr


def test_each_replica_url_becomes_an_alias_the_test_runner_never_creates():
    primary = database_from_url("postgres://app@db1:5432/microblog", BASE_DIR)
    replicas = replicas_from_urls(
        " postgres://app@db2:5432/microblog, postgres://app@db3:5432/microblog", primary, BASE_DIR
    )

    assert list(replicas) == ["replica_1", "replica_2"]
    assert replicas["replica_2"]["HOST"] == "db3"
    assert replicas["replica_2"]["TEST"] == {"MIRROR": "default"}
    # A dead replica fails in seconds, and is skipped, instead of hanging requests.
    assert replicas["replica_2"]["OPTIONS"]["connect_timeout"] == 3


def test_a_replica_url_listing_a_clusters_servers_prefers_a_standby():
    primary = database_from_url("postgres://app@db1:5432,db2:5432/microblog", BASE_DIR)
    replicas = replicas_from_urls(
        "postgres://app@db1:5432,db2:5432/microblog,postgres://app@db3/microblog", primary, BASE_DIR
    )

    assert [r["HOST"] for r in replicas.values()] == ["db1,db2", "db3"]
    assert replicas["replica_1"]["OPTIONS"]["target_session_attrs"] == "prefer-standby"


@pytest.mark.parametrize(
    ("env", "error"),
    [
        (
            {"DATABASE_URL": "postgres://u@h/db", "DATABASE_REPLICA_URLS": "postgres://u@h/r,x"},
            "error: DATABASE_REPLICA_URLS (replica 2) is not a database URL we can use",
        ),
        (
            {"DATABASE_REPLICA_URLS": "postgres://u@h/r"},
            "error: DATABASE_REPLICA_URLS (replica 1) is postgresql and DATABASE_URL is sqlite3: "
            "replicas must be PostgreSQL streaming standbys of a PostgreSQL DATABASE_URL",
        ),
        (
            {"REPLICA_MAX_LAG_SECONDS": "soon"},
            "error: REPLICA_MAX_LAG_SECONDS must be a number of seconds, not 'soon'",
        ),
    ],
)
def test_bad_replica_settings_stop_start_up_with_one_line(manage, env, error):
    result = manage("check", env=env)

    assert result.returncode == 1
    assert result.stderr.startswith(error)
    assert result.stderr.count("\n") == 1


# One child process, not two: each start of Django costs a second.
SET_UP = f"""
from django.core.management import call_command
from accounts.models import User
call_command("migrate", verbosity=0)
User.objects.create_superuser({ADMIN!r}, "admin@example.com", {PASSWORD!r})
"""


@pytest.fixture(scope="module")
def pair():
    """A primary and a standby, migrated, with a superuser; the app's environment for them."""
    folder, primary, standby = start_primary_and_standby(require_binaries())
    try:
        primary.sql("CREATE DATABASE microblog")
        env = {
            "DATABASE_URL": primary.url("microblog"),
            "DATABASE_REPLICA_URLS": standby.url("microblog"),
        }
        result = run_python("manage.py", "shell", "-v0", "-c", SET_UP, env=env)
        assert result.returncode == 0, result.stderr
        (admin_id,) = primary.sql("SELECT id FROM accounts_user", database="microblog")[0]
        pair = SimpleNamespace(primary=primary, standby=standby, env=env, admin_id=admin_id)
        wait_until_replayed(pair)
        yield pair
    finally:
        for server in (standby, primary):
            # A server a test left stopped cannot stop again; remove the folder anyway.
            with suppress(subprocess.CalledProcessError):
                server.stop(mode="immediate")
        folder.remove()


@pytest.fixture(scope="module")
def app(pair):
    """`app(**env)`: the app under gunicorn on the pair, one server per distinct environment."""
    servers = {}

    def serve(**env):
        key = tuple(sorted(env.items()))
        if key not in servers:
            servers[key] = AppServer(
                {
                    **pair.env,
                    "READ_YOUR_WRITES_SECONDS": str(READ_YOUR_WRITES_SECONDS),
                    "REPLICA_RETRY_SECONDS": str(RETRY_SECONDS),
                    "REPLICA_MAX_LAG_SECONDS": "300",
                    **env,
                }
            )
        return servers[key]

    yield serve
    for server in servers.values():
        server.begin_stopping()
    for server in servers.values():
        server.stop()


def new_post(pair, body):
    """A post written straight to the primary, as another app server would."""
    pair.primary.sql(
        "INSERT INTO blog_post (body, timestamp, author_id) VALUES (%s, now(), %s)",
        (body, pair.admin_id),
        database="microblog",
    )
    return body


def wait_until_replayed(pair):
    (target,) = pair.primary.sql("SELECT pg_current_wal_lsn()")[0]
    wait_until(
        lambda: pair.standby.sql("SELECT pg_last_wal_replay_lsn() >= %s", (target,))[0][0],
        what="the standby to replay the primary's writes",
    )


@contextmanager
def standby_paused(pair):
    pair.standby.sql("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        pair.standby.sql("SELECT pg_wal_replay_resume()")
        wait_until_replayed(pair)


def healthz(browser):
    status, text, headers = browser.request("GET", "/healthz")
    return status, json.loads(text)


ROUTED_CONNECTIONS = """
from django.db import connections, router, transaction
from blog.models import Post
from replicas.router import ReadPlan, current_plan

def in_recovery(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return cursor.fetchone()[0]

alias = router.db_for_read(Post)
print("outside a request, reads:", alias, "in recovery:", in_recovery(alias))
current_plan.set(ReadPlan())
alias = router.db_for_read(Post)
print("public page, reads:", alias, "in recovery:", in_recovery(alias))
alias = router.db_for_write(Post)
print("public page, writes:", alias, "in recovery:", in_recovery(alias))
with transaction.atomic():
    alias = router.db_for_read(Post)
    print("public page, in a transaction, reads:", alias, "in recovery:", in_recovery(alias))
"""


def test_public_reads_reach_the_standby_and_writes_the_primary(pair):
    result = run_python("manage.py", "shell", "-v0", "-c", ROUTED_CONNECTIONS, env=pair.env)

    assert result.stdout.splitlines() == [
        # Commands and shells read from the primary: they are no public page.
        "outside a request, reads: default in recovery: False",
        "public page, reads: replica_1 in recovery: True",
        "public page, writes: default in recovery: False",
        # It must see its own uncommitted writes, which only the primary has.
        "public page, in a transaction, reads: default in recovery: False",
    ], result.stderr


def test_the_public_page_is_read_from_the_standby(pair, app):
    visitor = Browser(app())

    with standby_paused(pair):
        body = new_post(pair, "written while the standby is paused")
        # The standby has not replayed it, so a page from the standby does not show it.
        assert body not in visitor.get("/")[1]
    # Replayed now: there it is.
    assert body in visitor.get("/")[1]


def test_a_visitor_who_writes_reads_from_the_primary_for_a_while(pair, app):
    server = app()
    editor, other_visitor = Browser(server), Browser(server)
    editor.log_in(ADMIN, PASSWORD)
    now = datetime.now(UTC)

    with standby_paused(pair):
        status = editor.submit(
            "/admin/blog/post/add/",
            {
                "body": "a post by the editor",
                "author": pair.admin_id,
                "timestamp_0": now.strftime("%Y-%m-%d"),
                "timestamp_1": now.strftime("%H:%M:%S"),
                "_save": "Save",
            },
        )
        # The write reached the primary (the standby is read-only, and replays nothing now).
        assert status == 302
        query = "SELECT count(*) FROM blog_post WHERE body = %s"
        assert pair.primary.sql(query, ("a post by the editor",), database="microblog") == [(1,)]
        # The editor sees their post at once; a visitor who wrote nothing reads the standby.
        assert "a post by the editor" in editor.get("/")[1]
        assert "a post by the editor" not in other_visitor.get("/")[1]
        # When the window is over, the editor's reads go back to the (still lagging) standby.
        time.sleep(READ_YOUR_WRITES_SECONDS + 0.2)
        assert "a post by the editor" not in editor.get("/")[1]


def test_the_admin_shows_rows_the_standby_has_not_replayed(pair, app):
    editor = Browser(app())
    editor.log_in(ADMIN, PASSWORD)
    # No recent write: only being the admin keeps these reads on the primary.
    del editor.cookies["recent_write"]

    with standby_paused(pair):
        body = new_post(pair, "a row only the primary has")
        status, page = editor.get("/admin/blog/post/")
        assert status == 200
        assert body in page
        assert body not in Browser(app()).get("/")[1]


def test_a_standby_lagging_past_the_limit_is_skipped_until_it_catches_up(pair, app):
    server = app(REPLICA_MAX_LAG_SECONDS="1")
    visitor = Browser(server)
    assert healthz(visitor) == (
        200,
        {"status": "healthy", "databases": {"default": "ok", "replica_1": "ok"}},
    )

    with standby_paused(pair):
        body = new_post(pair, "written while the standby lags")
        # Past the limit, and past the second a healthy answer is trusted for.
        time.sleep(1.2)
        assert body in visitor.get("/")[1]
        status, report = healthz(visitor)
        # Every page still works, reading from the primary: no reason to take this server out.
        assert (status, report["status"]) == (200, "degraded")
        assert report["databases"]["default"] == "ok"
        assert report["databases"]["replica_1"].startswith("lagging: ")
    # Caught up: healthy again.
    wait_until(
        lambda: healthz(visitor)[1]["status"] == "healthy", what="the standby to be healthy again"
    )
    # Logged once when skipped (however many reads came meanwhile), once when back.
    assert server.output().count("replica_1 is skipped") == 1
    assert server.output().count("replica_1 is back") == 1


def test_a_stopped_standby_sends_reads_to_the_primary_until_it_is_back(pair, app):
    # The standby's good health is trusted for a minute, so the next read does not check it
    # first: it finds out mid-request.
    server = app(REPLICA_CHECK_SECONDS="60")
    visitor = Browser(server)
    assert visitor.get("/")[0] == 200  # the worker now holds a connection to the standby

    pair.standby.stop()
    try:
        body = new_post(pair, "written while the standby is down")
        # The held connection fails mid-request: the page is served again from the primary.
        status, page = visitor.get("/")
        assert status == 200
        assert body in page
        assert healthz(visitor) == (
            200,
            {
                "status": "degraded",
                "databases": {"default": "ok", "replica_1": "down: OperationalError"},
            },
        )
        assert visitor.get("/")[0] == 200
    finally:
        pair.standby.start()
    wait_until_replayed(pair)

    wait_until(
        lambda: healthz(visitor)[1]["status"] == "healthy", what="/healthz to see the standby back"
    )
    # Reads use it again: a post it has not replayed is not shown.
    with standby_paused(pair):
        body = new_post(pair, "written after the standby came back")
        assert body not in visitor.get("/")[1]
    assert server.output().count("replica_1 is skipped") == 1
    assert server.output().count("replica_1 is back") == 1


def test_lag_is_measured_without_privileges_and_is_zero_when_caught_up(pair):
    # A role without pg_read_all_stats sees no status in pg_stat_wal_receiver: a standby that
    # has replayed everything must still count as 0 s behind, however idle the primary is.
    pair.primary.sql("CREATE ROLE plain_app_user LOGIN")
    new_post(pair, "the last write before a quiet spell")
    wait_until_replayed(pair)
    as_plain_user = f"postgres://plain_app_user@127.0.0.1:{pair.standby.port}/microblog"

    with psycopg.connect(as_plain_user, autocommit=True) as connection:
        assert connection.execute("SELECT status FROM pg_stat_wal_receiver").fetchall() == [(None,)]
        # 0 s behind, and all it received replayed.
        assert connection.execute(LAG_SQL).fetchone() == (0, True)
        # Paused, with a write it has not replayed: behind, by the age of its last replay.
        pair.standby.sql("SELECT pg_wal_replay_pause()")
        try:
            new_post(pair, "a write the standby has not replayed")
            wait_until(
                lambda: connection.execute(LAG_SQL).fetchone()[0] > 0,
                what="the standby to receive the write it may not replay",
            )
        finally:
            pair.standby.sql("SELECT pg_wal_replay_resume()")
    wait_until_replayed(pair)


def test_migrate_on_a_replica_runs_no_ddl(pair):
    # A hot standby refuses any DDL, so a migrate that tried would fail here.
    result = run_python("manage.py", "migrate", "--database", "replica_1", env=pair.env)

    assert result.returncode == 0, result.stderr
    assert "No migrations to apply." in result.stdout
