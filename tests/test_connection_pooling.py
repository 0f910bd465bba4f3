"""Connection pooling: psycopg's pool in each process (DATABASE_POOL=on), and the app behind a
real PgBouncer in transaction mode (DATABASE_PGBOUNCER=on). Both PostgreSQL only."""

import os
import uuid

import psycopg
import pytest
from django.conf import settings

from microblog.database import POOL_OPTIONS
from tests.child_process import run_python
from tests.private_postgres import PgBouncer, require_pgbouncer
from tests.servers import POSTGRES, require

SERVER_URL = f"postgres://{POSTGRES['user']}@{POSTGRES['host']}:{POSTGRES['port']}"


@pytest.fixture(scope="module")
def database():
    """A fresh database of our own on the machine's PostgreSQL, shared by this file's tests
    (each migrates: the first does the work), dropped afterwards."""
    require(POSTGRES)
    name = f"microblog_pooling_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_script(script, env):
    result = run_python("manage.py", "shell", "-v0", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_pooling_is_off_unless_asked_for():
    assert "pool" not in settings.DATABASES["default"].get("OPTIONS", {})


@pytest.mark.parametrize("variable", ["DATABASE_POOL", "DATABASE_PGBOUNCER"])
def test_pooling_on_sqlite_stops_start_up_with_one_line(manage, variable):
    result = manage("check", env={variable: "on"})

    assert result.returncode == 1
    assert result.stderr == (
        f"error: {variable}=on works with PostgreSQL only; DATABASE_URL is sqlite3\n"
    )


# Five requests, each followed by Django closing its connection, as it does after every
# request when connections are not kept (CONN_MAX_AGE=0).
FIVE_REQUESTS = """
from django.core.management import call_command
from django.db import connection
from django.test import Client

call_command("migrate", verbosity=0)
server_processes = set()
for _ in range(5):
    assert Client().get("/", HTTP_HOST="127.0.0.1").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        server_processes.add(cursor.fetchone()[0])
    connection.close()
print("pool:", connection.pool is not None)
print("connections kept by Django:", connection.settings_dict["CONN_MAX_AGE"])
print("server connections used:", len(server_processes))
"""


def test_the_pool_serves_requests_from_the_same_few_server_connections(database):
    env = {"DATABASE_URL": f"{SERVER_URL}/{database}", "DATABASE_POOL": "on"}

    assert run_script(FIVE_REQUESTS, env) == [
        "pool: True",
        # Django refuses a pool with persistent connections: the pool keeps them instead.
        "connections kept by Django: 0",
        f"server connections used: {POOL_OPTIONS['max_size']}",
    ]


def test_without_the_pool_each_request_opens_its_own_connection(database):
    # The same requests, the pool off and Django's own persistent connections off too.
    env = {"DATABASE_URL": f"{SERVER_URL}/{database}"}
    script = FIVE_REQUESTS.replace(
        "from django.db import connection",
        "from django.db import connection\nconnection.settings_dict['CONN_MAX_AGE'] = 0",
    )

    assert run_script(script, env)[::2] == ["pool: False", "server connections used: 5"]


# Through PgBouncer: migrations, writes, and a long read in chunks (`.iterator()`), which Django
# does with a server-side cursor unless told not to. Another client holds a server connection
# for a moment first, so PgBouncer has two to take turns with.
THROUGH_PGBOUNCER = """
import psycopg
from django.core.management import call_command
from django.db import connection
from accounts.models import User
from blog.models import Post

call_command("migrate", verbosity=0)
author = User.objects.create(username="WRITER", email="WRITER@example.com")
Post.objects.bulk_create(Post(body=f"post {n}", author=author) for n in range(100))
with psycopg.connect(OTHER_CLIENT_URL) as other:
    other.execute("SELECT 1")
    Post.objects.count()
try:
    print("posts read in chunks:", sum(1 for _ in Post.objects.iterator(chunk_size=10)))
except Exception as exc:
    print("failed:", " ".join(str(exc).split()))
"""


@pytest.fixture(scope="module")
def pgbouncer():
    program = require_pgbouncer()
    require(POSTGRES)
    bouncer = PgBouncer(program, POSTGRES["port"])
    yield bouncer
    bouncer.stop()


def test_the_app_works_behind_pgbouncer_in_transaction_mode(database, pgbouncer):
    script = THROUGH_PGBOUNCER.replace("OTHER_CLIENT_URL", repr(pgbouncer.url(database)))
    env = {"DATABASE_URL": pgbouncer.url(database), "DATABASE_PGBOUNCER": "on"}

    assert run_script(script.replace("WRITER", "first"), env) == ["posts read in chunks: 100"]
    # With psycopg's pool too: the pool's connections are PgBouncer's clients.
    env["DATABASE_POOL"] = "on"
    assert run_script(script.replace("WRITER", "second"), env) == ["posts read in chunks: 200"]


def test_without_pgbouncer_mode_a_chunked_read_breaks_behind_it(database, pgbouncer):
    # The reason for DATABASE_PGBOUNCER: a server-side cursor outlives its transaction, and
    # the next transaction may run on another server connection, which has no such cursor.
    script = THROUGH_PGBOUNCER.replace("OTHER_CLIENT_URL", repr(pgbouncer.url(database)))

    (line,) = run_script(
        script.replace("WRITER", "third"), {"DATABASE_URL": pgbouncer.url(database)}
    )
    assert line.startswith("failed: cursor")
    assert "does not exist" in line
