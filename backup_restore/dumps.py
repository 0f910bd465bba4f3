"""Backups of whatever DATABASE_URL names, and restores of them (docs/production.md, "Backups and
restore"): SQLite through its online backup API, PostgreSQL through pg_dump and pg_restore, MariaDB
through mariadb-dump and mariadb. Each backup is one consistent snapshot, taken while the site
keeps writing; `manage.py backup` and `manage.py restore` only parse their arguments."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

from microblog.database import SQLITE_BUSY_TIMEOUT

DEFAULT_FOLDER = Path("backups")
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump", "mysql": ".sql"}
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}
# The last line mariadb-dump writes: a dump without it was cut short.
MARIADB_DUMP_END = b"-- Dump completed"
BACKUP_TOOLS = {"sqlite": [], "postgresql": ["pg_dump", "pg_restore"], "mysql": ["mariadb-dump"]}
RESTORE_TOOLS = {"sqlite": [], "postgresql": ["pg_restore"], "mysql": ["mariadb"]}
# libpq settings a DATABASE_URL may carry (`?sslmode=require`) that pg_dump must use too.
LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout")


class BackupError(Exception):
    """A backup or restore that cannot go on, in one line saying why and what to do."""


@dataclass
class Done:
    """What a backup or restore did, as the command prints it."""

    action: str
    path: Path
    database: str
    seconds: float

    def __str__(self) -> str:
        size = _human_size(self.path.stat().st_size)
        if self.action == "backup":
            return f"Backed up {self.database} to {self.path} ({size}) in {self.seconds:.1f} s."
        return f"Restored {self.path} ({size}) into {self.database} in {self.seconds:.1f} s."


def backup(
    destination: str | Path | None = None, connection: BaseDatabaseWrapper = default_connection
) -> Done:
    """Write a backup of the database to `destination`: a file, or a folder (a path ending in
    `/`, or one that exists) to put a timestamped file in; `backups/` when None. The file appears
    only once complete and checked; a failed or interrupted backup leaves nothing behind."""
    vendor, database = connection.vendor, describe(connection)
    for tool in BACKUP_TOOLS[vendor]:
        _find_tool(tool)
    if vendor == "sqlite" and not Path(connection.settings_dict["NAME"]).is_file():
        name = connection.settings_dict["NAME"]
        raise BackupError(f"there is no SQLite database at {name}: is DATABASE_URL right?")
    # Connecting here also turns a server that is down, or a missing database, into one line
    # (microblog/command_line_errors.py) before any tool runs.
    if not _table_names(connection):
        raise BackupError(
            f"{database} has no tables, so there is nothing to back up: is DATABASE_URL right? "
            "(a new database needs `python manage.py migrate` first)"
        )
    target = _target_path(destination, connection)
    dump = {"sqlite": _backup_sqlite, "postgresql": _pg_dump, "mysql": _mariadb_dump}[vendor]

    started = time.monotonic()
    try:
        handle, partial_name = tempfile.mkstemp(
            dir=target.parent, prefix=f"{target.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise BackupError(f"cannot write a backup in {target.parent}: {exc.strerror}") from None
    os.close(handle)  # the file stays private (mode 0600): backups hold password hashes
    partial = Path(partial_name)
    try:
        dump(connection.settings_dict, partial)
        _fsync(partial)
        if target.exists():  # appeared while we worked: never replace another backup
            raise BackupError(f"{target} already exists: give another file name")
        os.replace(partial, target)
        _fsync(target.parent)
    finally:
        partial.unlink(missing_ok=True)
    return Done("backup", target, database, time.monotonic() - started)


def restore(
    source: str | Path,
    replace: bool = False,
    connection: BaseDatabaseWrapper = default_connection,
) -> Done:
    """Restore the backup file `source` into the database. The database must have no tables,
    unless `replace`: then the tables in the backup replace those of the same name."""
    source = Path(source)
    vendor, database = connection.vendor, describe(connection)
    for tool in RESTORE_TOOLS[vendor]:
        _find_tool(tool)
    if not source.is_file():
        raise BackupError(f"there is no backup file {source}")
    made_by = _backend_of(source)
    if made_by is None:
        raise BackupError(
            f"{source} is not a backup `manage.py backup` makes (a SQLite database, a pg_dump "
            "custom-format archive or a complete mariadb-dump file)"
        )
    if made_by != vendor:
        raise BackupError(
            f"{source} is a {BACKENDS[made_by]} backup, but DATABASE_URL names {database}: "
            f"restore it into a {BACKENDS[made_by]} database"
        )
    tables = _table_names(connection)
    if tables and not replace:
        raise BackupError(
            f"{database} is not empty ({_count(len(tables), 'table')}): restore into a new, empty "
            "database, "
            "or add --replace to overwrite its tables with the backup's"
        )
    load = {"sqlite": _restore_sqlite, "postgresql": _pg_restore, "mysql": _mariadb_restore}[vendor]
    started = time.monotonic()
    # Ours must not sit idle in the database while the restore writes to it.
    connection.close()
    load(connection.settings_dict, source, replace)
    return Done("restore", source, database, time.monotonic() - started)


def describe(connection: BaseDatabaseWrapper) -> str:
    """`the SQLite database /srv/app.db`, `the PostgreSQL database "microblog" at host:port`."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"the SQLite database {s['NAME']}"
    port = s["PORT"] or {"postgresql": 5432, "mysql": 3306}[connection.vendor]
    return (
        f'the {BACKENDS[connection.vendor]} database "{s["NAME"]}" '
        f"at {s['HOST'] or 'localhost'}:{port}"
    )


# --- SQLite ------------------------------------------------------------------------------------


def _backup_sqlite(settings_dict: dict[str, Any], partial: Path) -> None:
    try:
        with (
            closing(sqlite3.connect(settings_dict["NAME"], timeout=SQLITE_BUSY_TIMEOUT)) as source,
            closing(sqlite3.connect(partial)) as copy,
        ):
            # All pages in one step, inside one read transaction: a consistent snapshot. In WAL
            # mode the writers go on meanwhile; copying in several steps would restart at every
            # write.
            source.backup(copy, pages=-1)
            # One self-contained file, with no -wal beside it to lose.
            copy.execute("PRAGMA journal_mode=DELETE")
            _check_sqlite(copy, partial)
    except sqlite3.Error as exc:  # a full disk, an unreadable file
        raise BackupError(f"the SQLite backup API failed: {exc}") from None


def _restore_sqlite(settings_dict: dict[str, Any], source: Path, replace: bool) -> None:
    try:
        with (
            closing(sqlite3.connect(source)) as backup_file,
            closing(sqlite3.connect(settings_dict["NAME"], timeout=SQLITE_BUSY_TIMEOUT)) as db,
        ):
            _check_sqlite(backup_file, source)
            # The backup API writes every page in one transaction: an interrupted restore leaves
            # the database as it was.
            backup_file.backup(db, pages=-1)
            _check_sqlite(db, settings_dict["NAME"])
    except sqlite3.OperationalError as exc:
        raise BackupError(f"cannot restore into {settings_dict['NAME']}: {exc}") from None


def _check_sqlite(db: sqlite3.Connection, path: str | Path) -> None:
    problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{path} fails PRAGMA integrity_check: {'; '.join(problems[:3])}")


def _sqlite_tables(path: str | Path) -> list[str]:
    if not Path(path).exists():
        return []
    try:
        # Read-only: looking must not create or change anything.
        read_only = f"{Path(path).resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(read_only, uri=True)) as db:
            return [
                row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database we can read ({exc})") from None


# --- PostgreSQL --------------------------------------------------------------------------------


def _pg_dump(settings_dict: dict[str, Any], partial: Path) -> None:
    # Custom format: compressed, and pg_dump reads everything in one snapshot.
    _run(
        [_find_tool("pg_dump"), "--format=custom", "--no-password", f"--file={partial}"]
        + [f"--dbname={_libpq_conninfo(settings_dict)}"],
        settings_dict,
    )
    # The archive must read back: its table of contents is at the end of the file.
    _run([_find_tool("pg_restore"), "--list", str(partial)], settings_dict)


def _pg_restore(settings_dict: dict[str, Any], source: Path, replace: bool) -> None:
    # One transaction, stopping at the first error: a restore is whole or did nothing. Objects
    # belong to the user in DATABASE_URL, whatever roles the backed-up server had.
    command = [_find_tool("pg_restore"), "--no-password", "--single-transaction", "--exit-on-error"]
    command += ["--no-owner", "--no-privileges"]
    if replace:
        command += ["--clean", "--if-exists"]
    _run([*command, f"--dbname={_libpq_conninfo(settings_dict)}", str(source)], settings_dict)


def _libpq_conninfo(settings_dict: dict[str, Any]) -> str:
    """host, port, user and database for libpq's tools; never the password (see _environment)."""
    parts = {
        "host": settings_dict["HOST"],
        "port": settings_dict["PORT"],
        "user": settings_dict["USER"],
        "dbname": settings_dict["NAME"],
    }
    options = settings_dict.get("OPTIONS", {})
    parts.update({key: options[key] for key in LIBPQ_OPTIONS if key in options})
    return " ".join(f"{key}='{_quote(value)}'" for key, value in parts.items() if value)


def _quote(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("'", "\\'")


# --- MariaDB -----------------------------------------------------------------------------------


def _mariadb_dump(settings_dict: dict[str, Any], partial: Path) -> None:
    # --single-transaction: one consistent InnoDB snapshot, without locking the writers out.
    # No --databases, so the dump can go into a database of another name.
    _run(
        [_find_tool("mariadb-dump"), "--single-transaction", "--routines", "--hex-blob"]
        + ["--default-character-set=utf8mb4", f"--result-file={partial}"]
        + [*_mariadb_login(settings_dict), "--", settings_dict["NAME"]],
        settings_dict,
    )
    if not _ends_with(partial, MARIADB_DUMP_END):
        raise BackupError(f"mariadb-dump stopped before the end of {settings_dict['NAME']}")


def _mariadb_restore(settings_dict: dict[str, Any], source: Path, replace: bool) -> None:
    # The dump drops each of its tables before creating it, so --replace needs nothing more.
    # MariaDB cannot roll back table creation: a restore that fails halfway leaves what it did.
    with source.open("rb") as dump:
        try:
            _run(
                [_find_tool("mariadb"), "--batch", "--default-character-set=utf8mb4"]
                + [*_mariadb_login(settings_dict), "--", settings_dict["NAME"]],
                settings_dict,
                stdin=dump,
            )
        except BackupError as exc:
            raise BackupError(
                f"{exc}; the database may hold part of the backup: drop and create it again "
                "before the next try"
            ) from None


def _mariadb_login(settings_dict: dict[str, Any]) -> list[str]:
    host = settings_dict["HOST"]
    login = [f"--socket={host}"] if host.startswith("/") else [f"--host={host or 'localhost'}"]
    if settings_dict["PORT"]:
        login.append(f"--port={settings_dict['PORT']}")
    if settings_dict["USER"]:
        login.append(f"--user={settings_dict['USER']}")
    return login


# --- shared ------------------------------------------------------------------------------------

# mariadb-dump and mariadb are mysqldump and mysql on older or MySQL installs.
TOOL_ALTERNATIVES = {"mariadb-dump": ["mariadb-dump", "mysqldump"], "mariadb": ["mariadb", "mysql"]}
TOOL_PACKAGES = {
    "pg_dump": "PostgreSQL's client tools (Debian: apt-get install postgresql-client)",
    "pg_restore": "PostgreSQL's client tools (Debian: apt-get install postgresql-client)",
    "mariadb-dump": "MariaDB's client tools (Debian: apt-get install mariadb-client)",
    "mariadb": "MariaDB's client tools (Debian: apt-get install mariadb-client)",
}


def _find_tool(name: str) -> str:
    for candidate in TOOL_ALTERNATIVES.get(name, [name]):
        path = shutil.which(candidate)
        if path:
            return path
    raise BackupError(f"{name} is not installed (or not on PATH): install {TOOL_PACKAGES[name]}")


def _run(
    command: list[str], settings_dict: dict[str, Any], stdin: IO[bytes] | int = subprocess.DEVNULL
) -> None:
    result = subprocess.run(
        command, env=_environment(settings_dict), stdin=stdin, capture_output=True, text=True
    )
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()] or lines or ["no message"]
        raise BackupError(f"{Path(command[0]).name} failed: {errors[0]}")


def _environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The password goes to the tools through the environment: on a command line, every user of
    the machine could read it in `ps`."""
    env = dict(os.environ)
    if settings_dict["PASSWORD"]:
        env["PGPASSWORD"] = env["MYSQL_PWD"] = settings_dict["PASSWORD"]
    return env


def _table_names(connection: BaseDatabaseWrapper) -> list[str]:
    if connection.vendor == "sqlite":
        return _sqlite_tables(connection.settings_dict["NAME"])
    return connection.introspection.table_names(include_views=True)


def _target_path(destination: str | Path | None, connection: BaseDatabaseWrapper) -> Path:
    if destination is None:
        folder = DEFAULT_FOLDER
    elif str(destination).endswith(os.sep) or Path(destination).is_dir():
        folder = Path(destination)
    else:
        target = Path(destination)
        if target.exists():
            raise BackupError(f"{target} already exists: give another file name")
        if not target.parent.is_dir():
            raise BackupError(f"there is no folder {target.parent} to write {target.name} in")
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the folder {folder}: {exc.strerror}") from None
    stem = Path(connection.settings_dict["NAME"]).stem
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{stem}-{stamp}{SUFFIXES[connection.vendor]}"
    if target.exists():
        raise BackupError(f"{target} already exists (a backup this second): try again")
    return target


def _backend_of(path: Path) -> str | None:
    """Which backend made the backup file at `path`, from its first bytes; None if none did."""
    with path.open("rb") as file:
        head = file.read(1024)
    if head.startswith(b"SQLite format 3\0"):
        return "sqlite"
    if head.startswith(b"PGDMP"):
        return "postgresql"
    # mariadb-dump 10.11.8+ writes a "sandbox mode" comment before its header line.
    if (b"-- MariaDB dump" in head or b"-- MySQL dump" in head) and _ends_with(
        path, MARIADB_DUMP_END
    ):
        return "mysql"
    return None


def _ends_with(path: Path, marker: bytes) -> bool:
    with path.open("rb") as file:
        file.seek(max(0, path.stat().st_size - 200))
        return marker in file.read()


def _fsync(path: Path) -> None:
    """Make the file (or the folder's new entry) reach the disk before we say it is done."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _human_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1000:
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
