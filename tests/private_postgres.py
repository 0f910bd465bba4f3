"""Private servers for tests that need more than the machine's own: a PostgreSQL primary with a
streaming standby, and PgBouncer, each in a temporary folder on a free port, stopped afterwards.

As root, PostgreSQL and PgBouncer refuse to run: they run as the `postgres` OS user, in a folder
it owns."""

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import psycopg
import pytest

from tests.servers import closed_port

MISSING_PROGRAMS = "PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are not installed"


def server_programs():
    """The folder of the newest PostgreSQL's server programs here, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"), key=_version)
    return Path(found[-1]).parent if found else None


def require_binaries():
    """The folder of PostgreSQL's server programs; skip loudly (fail in CI) without them."""
    bindir = server_programs()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING_PROGRAMS}, but CI must test read replicas")
        pytest.skip(f"SKIPPED, NOT TESTED: {MISSING_PROGRAMS}")
    return bindir


def _version(path):
    return int(re.search(r"/postgresql/(\d+)/", path).group(1))


class Folder:
    """A temporary folder, and commands run in it as the `postgres` user when we are root."""

    def __init__(self):
        self.path = Path(tempfile.mkdtemp(prefix="microblog-pg-"))
        self.as_user = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.path, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def run(self, *command):
        subprocess.run(
            [*self.as_user, *map(str, command)],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.path,
        )

    def popen(self, *command):
        return subprocess.Popen(
            [*self.as_user, *map(str, command)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.path,
        )

    def write(self, name, text):
        path = self.path / name
        path.write_text(text)
        if self.as_user:
            shutil.chown(path, "postgres", "postgres")
        return path

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


class PostgresServer:
    def __init__(self, folder, bindir, name):
        self.folder, self.bindir, self.name = folder, bindir, name
        self.data = folder.path / name
        self.port = closed_port()

    def url(self, database="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self):
        options = f"-p {self.port} -k {self.folder.path} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self.folder.path / f"{self.name}.log"
        pg_ctl = self.bindir / "pg_ctl"
        self.folder.run(pg_ctl, "-D", self.data, "-o", options, "-l", log, "-w", "start")

    def stop(self, mode="fast"):
        self.folder.run(self.bindir / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def sql(self, query, params=(), database="postgres"):
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else None


def start_primary_and_standby(bindir, synchronous=False):
    """(folder, primary, standby): a primary, and a standby streaming from it (about 5 s).

    synchronous: a commit on the primary returns only once the standby has applied it
    (`synchronous_commit = remote_apply`), so a read from the standby right after a write sees
    it, as a test that writes and then reads expects. Without it the standby lags a little, as
    real ones do."""
    folder = Folder()
    primary = PostgresServer(folder, bindir, "primary")
    folder.run(bindir / "initdb", "-D", primary.data, "-A", "trust", "-U", "postgres", "-N")
    with open(primary.data / "pg_hba.conf", "a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    primary.start()
    standby = PostgresServer(folder, bindir, "standby")
    # -c fast: a checkpoint now, not at the next scheduled one (up to minutes away).
    folder.run(
        bindir / "pg_basebackup",
        *("-h", "127.0.0.1", "-p", primary.port, "-U", "postgres", "-D", standby.data),
        *("-R", "-X", "stream", "-c", "fast"),
    )
    standby.start()
    if synchronous:
        wait_until(
            lambda: primary.sql("SELECT count(*) FROM pg_stat_replication")[0][0] == 1,
            what="the standby to stream",
        )
        primary.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        primary.sql("ALTER SYSTEM SET synchronous_commit = 'remote_apply'")
        primary.sql("SELECT pg_reload_conf()")
    return folder, primary, standby


def children(pid):
    """The processes whose parent is `pid` (a postmaster's backends, WAL receiver, and so on)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            # "pid (name) state ppid ...": the name may hold spaces, so split after its ")".
            if int(entry.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.parent.name))
    return found


def wait_until(condition, seconds=15, what="the condition"):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.05)


def require_pgbouncer():
    """PgBouncer's program; skip loudly (fail in CI) without it. `make pgbouncer` installs it."""
    path = shutil.which("pgbouncer") or shutil.which("/usr/sbin/pgbouncer")
    if path is None:
        message = "PgBouncer is not installed (make pgbouncer installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}, but CI must test the app behind it")
        pytest.skip(f"SKIPPED, NOT TESTED: {message}")
    return path


class PgBouncer:
    """PgBouncer in transaction mode in front of the PostgreSQL server at `port`.

    server_round_robin: idle server connections are used in turn, so a client's consecutive
    transactions really do land on different server connections, as they would under load."""

    def __init__(self, program, port):
        self.folder = Folder()
        self.port = closed_port()
        self.folder.write("users.txt", '"postgres" ""\n')
        config = self.folder.write(
            "pgbouncer.ini",
            f"""[databases]
* = host=127.0.0.1 port={port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.folder.path / "users.txt"}
admin_users = postgres
pool_mode = transaction
default_pool_size = 4
server_round_robin = 1
logfile = {self.folder.path / "pgbouncer.log"}
""",
        )
        self.process = self.folder.popen(program, config)
        wait_until(self.listening, seconds=10, what="PgBouncer to listen")

    def listening(self):
        try:
            psycopg.connect(self.url("pgbouncer"), connect_timeout=1, autocommit=True).close()
        except psycopg.OperationalError:
            return False
        return True

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.folder.remove()
