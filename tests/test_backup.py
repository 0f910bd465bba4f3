"""`manage.py backup` loses nothing: a backup taken while four processes write, restored with the
very steps of docs/production.md into a fresh database, holds every row committed before it
began, on SQLite, PostgreSQL and MariaDB; and what stops a backup or restore is one line."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from accounts.models import User
from backup_restore.dumps import BackupError, backup, restore
from blog.models import Post
from microblog.database import database_from_url
from tests.child_process import PROJECT_ROOT, child_environment
from tests.factories import UserFactory
from tests.private_postgres import Folder, PostgresServer, require_binaries
from tests.servers import MARIADB, POSTGRES, closed_port, needs_mysqlclient, require
from tests.test_concurrent_writes import url_of_test_database

WRITERS = 4
SEED_POSTS = 5_000  # so the backup has some work to do while the writers go on
DOCS = PROJECT_ROOT / "docs" / "production.md"
RESTORE_STEPS = re.compile(r"^<!-- restore: (\w+) -->\n```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
# The backup file each block names, replaced by the one the test made.
DOCS_BACKUP_FILE = {
    "sqlite": "backups/app-20261130T203000Z.sqlite3",
    "postgresql": "backups/microblog-20261130T203000Z.dump",
    "mysql": "backups/microblog-20261130T203000Z.sql",
}


@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_four_processes_write_restores_every_row_committed_before_it(
    tmp_path, restored_database
):
    author = UserFactory()
    Post.objects.bulk_create(Post(author=author, body=f"seed {n}") for n in range(SEED_POSTS))
    logs = [tmp_path / f"writer{n}.log" for n in range(WRITERS)]
    stop = tmp_path / "stop"
    env = child_environment({"DATABASE_URL": url_of_test_database(), "DJANGO_ENV": "development"})
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.backup_writer", str(author.pk), str(log), str(stop)],
            cwd=PROJECT_ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for log in logs
    ]
    try:
        # All four are writing...
        wait_for(lambda: all(len(commits(log)) >= 5 for log in logs), writers)
        began = time.time()
        done = backup(f"{tmp_path}/backups/")
        finished = time.time()
        # ...and go on writing after the backup is done: it was taken mid-write.
        wait_for(lambda: all(max(commits(log).values()) > finished for log in logs), writers)
    finally:
        stop.touch()
        results = [(w.wait(timeout=60), w.stderr.read()) for w in writers]
    for returncode, stderr in results:
        assert returncode == 0, stderr[-2000:]
    committed = {pk: at for log in logs for pk, at in commits(log).items()}
    committed_before = {pk for pk, at in committed.items() if at < began}
    assert committed_before, "no writer committed a row before the backup began"
    assert done.path.name.endswith((".sqlite3", ".dump", ".sql"))
    assert not list(done.path.parent.glob("*.partial"))

    restore = run_restore_steps(done.path, restored_database)

    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "Restored " in restore.stdout
    users, posts = rows_in(restored_database["url"])
    written = {
        pk: [author_id, body]
        for pk, author_id, body in Post.objects.values_list("id", "author_id", "body")
    }
    seeded = {pk for pk, (_, body) in written.items() if body.startswith("seed ")}
    # Every row committed before the backup began is there, exactly as written...
    assert seeded | committed_before <= posts.keys()
    # ...and nothing else but rows that were committed meanwhile.
    assert all(written[pk] == row for pk, row in posts.items())
    assert users == User.objects.count()
    # The same file again over the restored database, as docs/production.md says to put a
    # backup back over the site's own: the tables are replaced, not added to.
    again = manage_in(
        PROJECT_ROOT,
        "restore",
        "--replace",
        str(done.path),
        env={"DATABASE_URL": restored_database["url"]},
    )
    assert again.returncode == 0, again.stderr
    assert rows_in(restored_database["url"]) == (users, posts)
    if connection.vendor == "sqlite":
        with sqlite3.connect(restored_database["path"]) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_the_docs_restore_steps_are_the_ones_this_test_runs():
    # One block per backend, each naming the file a backup of its kind would have.
    blocks = dict(RESTORE_STEPS.findall(DOCS.read_text(encoding="utf-8")))

    assert blocks.keys() == DOCS_BACKUP_FILE.keys()
    for vendor, steps in blocks.items():
        assert f"manage.py restore {DOCS_BACKUP_FILE[vendor]}\n" in steps
        assert steps.endswith(".venv/bin/python manage.py migrate --check\n")


# --- backing up: what stops it is one line, and it leaves no file -----------------------------


def test_backup_writes_a_timestamped_file_in_backups_by_default(tmp_path):
    database = sqlite_database(tmp_path / "app.db", value=42)

    result = manage_in(tmp_path, "backup", env={"DATABASE_URL": f"sqlite:///{database}"})

    assert result.returncode == 0, result.stderr
    [made] = (tmp_path / "backups").iterdir()
    assert re.fullmatch(r"app-\d{8}T\d{6}Z\.sqlite3", made.name)
    assert result.stdout.startswith(
        f"Backed up the SQLite database {database} to backups/{made.name} ("
    )
    assert made.stat().st_mode & 0o777 == 0o600  # it holds password hashes
    with sqlite3.connect(made) as copy:
        assert copy.execute("SELECT x FROM t").fetchall() == [(42,)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copy.close()


def test_backup_of_a_missing_sqlite_database_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(BackupError, match=f"there is no SQLite database at {tmp_path}/typo.db"):
        backup(connection=sqlite_at(tmp_path / "typo.db"))

    assert list(tmp_path.iterdir()) == []


def test_backup_of_a_database_without_tables_asks_whether_it_is_the_right_one(tmp_path):
    sqlite3.connect(tmp_path / "empty.db").close()

    with pytest.raises(BackupError, match=r"has no tables.*is DATABASE_URL right\?.*migrate"):
        backup(f"{tmp_path}/backups/", connection=sqlite_at(tmp_path / "empty.db"))

    assert not (tmp_path / "backups").exists()


def test_backup_never_replaces_an_existing_file(tmp_path):
    database = sqlite_at(sqlite_database(tmp_path / "app.db"))
    (tmp_path / "old.sqlite3").write_text("an older backup")

    with pytest.raises(BackupError, match="old.sqlite3 already exists: give another file name"):
        backup(tmp_path / "old.sqlite3", connection=database)

    assert (tmp_path / "old.sqlite3").read_text() == "an older backup"


def test_backup_into_a_missing_or_unusable_folder_says_so(tmp_path):
    database = sqlite_at(sqlite_database(tmp_path / "app.db"))
    (tmp_path / "a-file").write_text("")

    with pytest.raises(BackupError, match=f"there is no folder {tmp_path}/no/such to write x.db"):
        backup(tmp_path / "no" / "such" / "x.db", connection=database)
    with pytest.raises(BackupError, match=f"cannot create the folder {tmp_path}/a-file/backups"):
        backup(f"{tmp_path}/a-file/backups/", connection=database)


def test_backup_without_pg_dump_says_how_to_install_it(tmp_path):
    # PATH without PostgreSQL's tools; the check comes before any connection.
    env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/mb", "PATH": "/nowhere"}

    result = manage_in(tmp_path, "backup", env=env)

    assert_one_line_error(result, "pg_dump is not installed", "apt-get install postgresql-client")


def test_backup_of_a_postgresql_server_that_is_down_names_it(tmp_path):
    port = closed_port()

    result = manage_in(
        tmp_path, "backup", env={"DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/mb"}
    )

    assert_one_line_error(result, f"cannot connect to the PostgreSQL server at 127.0.0.1:{port}")
    assert not (tmp_path / "backups").exists()


def test_a_pg_dump_that_fails_leaves_no_file(tmp_path):
    require(POSTGRES)
    name = f"microblog_backup_denied_{id(tmp_path)}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    try:
        # A login that sees the table but may not read it: pg_dump stops half-way.
        setup = f"CREATE TABLE secret (x int); CREATE ROLE {name} LOGIN;"
        subprocess.run([*psql, "-d", name, "-c", setup], check=True)
        env = {"DATABASE_URL": f"postgres://{name}@127.0.0.1:5432/{name}"}

        result = manage_in(tmp_path, "backup", "backups/", env=env)

        assert_one_line_error(result, "pg_dump failed:", "permission denied")
        assert list((tmp_path / "backups").iterdir()) == []
    finally:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", name])
        subprocess.run([*psql, "-d", "postgres", "-c", f"DROP ROLE IF EXISTS {name}"])


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_backup_leaves_no_file(tmp_path, stop):
    require(POSTGRES)
    name = f"microblog_backup_interrupted_{id(tmp_path)}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-tA", "-d", name]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    holder = None
    try:
        subprocess.run([*psql, "-c", "CREATE TABLE t (x int)"], check=True)
        # A session holding the table (a long migration, say) keeps pg_dump waiting mid-backup.
        holder = subprocess.Popen(psql, stdin=subprocess.PIPE, text=True)
        holder.stdin.write("BEGIN; LOCK TABLE t; SELECT pg_sleep(60);\n")
        holder.stdin.flush()
        env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}"}
        running = subprocess.Popen(
            [sys.executable, str(PROJECT_ROOT / "manage.py"), "backup", "backups/"],
            cwd=tmp_path,
            env=child_environment(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump' "
            f"AND wait_event_type = 'Lock' AND datname = '{name}'"
        )
        deadline = time.time() + 60
        while (
            subprocess.run([*psql, "-c", waiting], capture_output=True, text=True).stdout != "1\n"
        ):
            assert running.poll() is None, running.communicate()
            assert time.time() < deadline, "pg_dump never started"
            time.sleep(0.1)
        assert [p.suffix for p in (tmp_path / "backups").iterdir()] == [".partial"]

        # Ctrl-C reaches every process of the terminal's group; so does systemd's SIGTERM.
        os.killpg(running.pid, stop)
        _, stderr = running.communicate(timeout=60)

        assert running.returncode == 130, stderr
        assert stderr == "CommandError: interrupted: no backup made\n"
        assert list((tmp_path / "backups").iterdir()) == []
    finally:
        if holder:
            holder.kill()
            holder.wait()
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", name])


@needs_mysqlclient
def test_a_mariadb_dump_that_fails_leaves_no_file(tmp_path):
    require(MARIADB)
    name = f"microblog_backup_broken_{id(tmp_path)}"
    # A view whose table is gone: mariadb-dump stops at it.
    mysql(
        f"CREATE DATABASE {name}; CREATE TABLE {name}.t (x int); CREATE VIEW {name}.v AS "
        f"SELECT x FROM {name}.t; DROP TABLE {name}.t"
    )
    try:
        env = {"DATABASE_URL": f"mysql://root@127.0.0.1:3306/{name}"}

        result = manage_in(tmp_path, "backup", "backups/", env=env)

        assert_one_line_error(result, "mariadb-dump failed:", "references invalid table")
        assert list((tmp_path / "backups").iterdir()) == []
    finally:
        mysql(f"DROP DATABASE IF EXISTS {name}")


@needs_mysqlclient
def test_a_mariadb_password_reaches_the_tools_through_the_environment(tmp_path):
    require(MARIADB)
    name = f"microblog_backup_pw_{id(tmp_path)}"
    # Characters a shell or a URL would trip on; the URL carries them percent-encoded.
    password, in_url = "p@ss w'rd;$x", "p%40ss%20w%27rd%3B%24x"
    quoted = password.replace("'", "''")
    mysql(
        f"CREATE DATABASE {name}; CREATE DATABASE {name}_into; CREATE TABLE {name}.t (x int); "
        f"INSERT INTO {name}.t VALUES (7); CREATE USER '{name}'@'%' IDENTIFIED BY "
        f"'{quoted}'; GRANT ALL ON {name}.* TO '{name}'@'%'; "
        f"GRANT ALL ON {name}_into.* TO '{name}'@'%'"
    )
    try:
        url = f"mysql://{name}:{in_url}@127.0.0.1:3306/{name}"

        made = manage_in(tmp_path, "backup", "t.sql", env={"DATABASE_URL": url})
        restored = manage_in(tmp_path, "restore", "t.sql", env={"DATABASE_URL": f"{url}_into"})

        assert made.returncode == 0, made.stderr
        assert restored.returncode == 0, restored.stderr
        copy = subprocess.run(
            ["mysql", "-h", "127.0.0.1", "-u", "root", "-N", "-e", f"SELECT x FROM {name}_into.t"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert copy.stdout == "7\n"
    finally:
        mysql(
            f"DROP DATABASE IF EXISTS {name}; DROP DATABASE IF EXISTS {name}_into; "
            f"DROP USER IF EXISTS '{name}'@'%'"
        )


def test_a_postgresql_password_reaches_the_tools_through_the_environment(tmp_path):
    # The machine's server trusts local logins, so a password there proves nothing: this one,
    # private, refuses any login without it.
    bindir = require_binaries()
    folder = Folder()
    server = PostgresServer(folder, bindir, "password")
    # Characters a shell or a URL would trip on; the URL carries them percent-encoded.
    password, in_url = "p@ss w'rd;$x", "p%40ss%20w%27rd%3B%24x"
    password_file = folder.write("password.txt", f"{password}\n")
    folder.run(
        *(bindir / "initdb", "-D", server.data, "-U", "postgres", "-N"),
        *("--auth=scram-sha-256", f"--pwfile={password_file}"),
    )
    server.start()
    try:

        def connect(database):
            return psycopg.connect(
                host="127.0.0.1",
                port=server.port,
                user="postgres",
                dbname=database,
                password=password,
                autocommit=True,
            )

        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(host="127.0.0.1", port=server.port, user="postgres").close()
        with connect("postgres") as admin:
            admin.execute("CREATE DATABASE made")
            admin.execute("CREATE DATABASE restored")
        with connect("made") as made:
            made.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (7)")
        url = f"postgres://postgres:{in_url}@127.0.0.1:{server.port}"

        backed_up = manage_in(tmp_path, "backup", "t.dump", env={"DATABASE_URL": f"{url}/made"})
        restored = manage_in(tmp_path, "restore", "t.dump", env={"DATABASE_URL": f"{url}/restored"})

        assert backed_up.returncode == 0, backed_up.stderr
        assert restored.returncode == 0, restored.stderr
        with connect("restored") as copy:
            assert copy.execute("SELECT x FROM t").fetchall() == [(7,)]
    finally:
        server.stop(mode="immediate")
        folder.remove()


# --- restoring: only whole backups of the same backend, only into an empty database ------------


def test_restore_refuses_a_database_that_is_not_empty_unless_told_to_replace_it(tmp_path):
    backup_file = sqlite_database(tmp_path / "backup.sqlite3", value="from the backup")
    database = sqlite_database(tmp_path / "live.db", value="live data")

    with pytest.raises(BackupError, match=r"is not empty \(1 table\).*--replace"):
        restore(backup_file, connection=sqlite_at(database))
    assert values_in(database) == ["live data"]

    env = {"DATABASE_URL": f"sqlite:///{database}"}
    replaced = manage_in(tmp_path, "restore", "--replace", str(backup_file), env=env)
    assert replaced.returncode == 0, replaced.stderr
    assert values_in(database) == ["from the backup"]


def test_restore_refuses_a_file_that_is_not_a_whole_backup(tmp_path):
    database = sqlite_at(tmp_path / "new.db")
    (tmp_path / "notes.txt").write_text("hello")
    # A mariadb-dump cut short: it lacks its last line.
    (tmp_path / "cut.sql").write_text("-- MariaDB dump 10.19\nCREATE TABLE t (x int);\n")

    for name in ("notes.txt", "cut.sql"):
        with pytest.raises(BackupError, match=f"{name} is not a backup `manage.py backup` makes"):
            restore(tmp_path / name, connection=database)
    with pytest.raises(BackupError, match="there is no backup file"):
        restore(tmp_path / "nothing.sqlite3", connection=database)
    assert not (tmp_path / "new.db").exists()


def test_restore_refuses_a_backup_of_another_backend(tmp_path):
    (tmp_path / "app.dump").write_bytes(b"PGDMP" + bytes(100))  # how pg_dump's archives begin

    with pytest.raises(
        BackupError, match="app.dump is a PostgreSQL backup, but DATABASE_URL names the SQLite"
    ):
        restore(tmp_path / "app.dump", connection=sqlite_at(tmp_path / "new.db"))


def test_a_cut_short_postgresql_backup_restores_nothing(tmp_path):
    require(POSTGRES)
    source, target = (f"microblog_backup_{kind}_{id(tmp_path)}" for kind in ("cut", "cut_into"))
    createdb = ["createdb", "-h", "127.0.0.1", "-U", "postgres"]
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
    try:
        subprocess.run([*createdb, source], check=True)
        subprocess.run([*createdb, target], check=True)
        rows = (
            "CREATE TABLE t AS SELECT n, repeat('x', 100) AS pad FROM generate_series(1, 20000) n"
        )
        subprocess.run([*psql, "-d", source, "-c", rows], check=True)
        dump = ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-Fc", "-f", "whole.dump", source]
        subprocess.run(dump, cwd=tmp_path, check=True)
        whole = (tmp_path / "whole.dump").read_bytes()
        (tmp_path / "cut.dump").write_bytes(whole[: len(whole) // 2])

        result = manage_in(
            tmp_path,
            "restore",
            "cut.dump",
            env={"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{target}"},
        )

        assert_one_line_error(result, "pg_restore failed:")
        tables = subprocess.run(
            [
                *psql,
                "-d",
                target,
                "-tAc",
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert tables.stdout.strip() == "0"  # one transaction: all or nothing
    finally:
        for name in (source, target):
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", name])


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def restored_database(tmp_path):
    """A database name (or file) for the restore, on the test run's server; dropped after."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.db"
        yield {"name": str(path), "path": path, "url": f"sqlite:///{path}"}
        return
    name = f"{s['NAME']}_restored"
    prefix = url_of_test_database().rsplit("/", 1)[0]
    drop = {
        "postgresql": f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        "mysql": f"DROP DATABASE IF EXISTS `{name}`",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(drop)
    yield {"name": name, "url": f"{prefix}/{name}"}
    with connection.cursor() as cursor:
        cursor.execute(drop)


def run_restore_steps(backup_file, restored):
    """Run the docs' restore block for this backend, pointed at this run's server and names."""
    vendor = connection.vendor
    steps = dict(RESTORE_STEPS.findall(DOCS.read_text(encoding="utf-8")))[vendor]
    s = connection.settings_dict
    replacements = {
        ".venv/bin/python": sys.executable,
        DOCS_BACKUP_FILE[vendor]: str(backup_file),
        "/srv/microblog/restored.db": restored["name"],
        "postgres://postgres@127.0.0.1:5432/microblog_restored": restored["url"],
        "mysql://root@127.0.0.1:3306/microblog_restored": restored["url"],
        "-h 127.0.0.1 -p 5432 -U postgres": f"-h {s['HOST']} -p {s['PORT']} -U {s['USER']}",
        "-h 127.0.0.1 -P 3306 -u root": f"-h {s['HOST']} -P {s['PORT']} -u {s['USER']}",
        "microblog_restored": restored["name"],
    }
    # One pass, longest first: replacing one at a time would rename again what a longer one
    # already put in (the URL's "test_microblog_restored" holds "microblog_restored").
    docs_texts = re.compile("|".join(map(re.escape, sorted(replacements, key=len, reverse=True))))
    steps = docs_texts.sub(lambda found: replacements[found[0]], steps)
    env = {"PGPASSWORD": s["PASSWORD"], "MYSQL_PWD": s["PASSWORD"]} if s["PASSWORD"] else {}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", steps],
        cwd=PROJECT_ROOT,
        env=child_environment({**env, "DJANGO_ENV": "development"}),
        capture_output=True,
        text=True,
        timeout=120,
    )


ROWS = """
import json
import os
from accounts.models import User
from blog.models import Post
posts = Post.objects.values_list("id", "author_id", "body")
print(json.dumps({"users": User.objects.count(), "posts": {pk: [a, b] for pk, a, b in posts}}))
"""


def rows_in(url):
    """The restored database's number of users, and its posts: {id: [author id, body]}."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", ROWS],
        cwd=PROJECT_ROOT,
        env=child_environment({"DATABASE_URL": url}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return data["users"], {int(pk): row for pk, row in data["posts"].items()}


def commits(log):
    """{post id: when its commit had returned} from a writer's log (whole lines only)."""
    text = log.read_text() if log.exists() else ""
    lines = text.splitlines()[: text.count("\n")]
    return {int(pk): float(at) for pk, at in (line.split() for line in lines)}


def wait_for(condition, writers, timeout=30):
    deadline = time.time() + timeout
    while not condition():
        for w in writers:
            assert w.poll() is None, f"a writer stopped early: {w.stderr.read()[-2000:]}"
        assert time.time() < deadline, "the writers did not get going in time"
        time.sleep(0.05)


def manage_in(folder, *args, env):
    """manage.py run from `folder`, as a user in their backups' folder would."""
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "manage.py"), *args],
        cwd=folder,
        env=child_environment(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_error(result, *expected):
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for text in expected:
        assert text in result.stderr


def sqlite_at(path):
    """A Django connection to the SQLite file at `path`, tuned as DATABASE_URL would tune it."""
    return ConnectionHandler({"default": database_from_url(f"sqlite:///{path}", PROJECT_ROOT)})[
        "default"
    ]


def sqlite_database(path, value="x"):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (?)", (value,))
    db.close()
    return path


def values_in(path):
    with sqlite3.connect(path) as db:
        values = [row[0] for row in db.execute("SELECT x FROM t")]
    db.close()
    return values


def mysql(sql):
    subprocess.run(["mysql", "-h", "127.0.0.1", "-u", "root", "-e", sql], check=True)
