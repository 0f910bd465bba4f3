"""`manage.py migrate` that waits at most a moment for a table's lock, then gives up and tries
again (docs/schema-changes.md, scenario i).

Django's own `migrate` waits as long as it takes. Behind a long reader (`manage.py backup`, an
export, a shell left in a transaction) a migration that needs a table's lock waits for the reader
to end, and every write to that table queues behind the migration: the site stops writing for as
long as the reader reads. With a lock timeout the writes queue for that moment at most; the
attempt that gave up changed nothing (PostgreSQL rolls the migration back; on MariaDB the
statement that timed out did not run), and the next attempt starts where the last one stopped.
SQLite has one writer at a time and no queue of locks: its busy timeout bounds the wait already.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.management.commands import migrate
from django.db import OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

# The longest an attempt waits for a lock, so the longest a write queued behind it waits; and
# the setting put back afterwards: pytest-django migrates the test database on the connection
# the tests then use, and a pooled connection goes back to the pool. MariaDB counts whole seconds.
LOCK_TIMEOUT = {
    "postgresql": ("SET lock_timeout = '500ms'", "SET lock_timeout = DEFAULT"),
    "mysql": ("SET SESSION lock_wait_timeout = 1", "SET SESSION lock_wait_timeout = DEFAULT"),
}
# Seconds between attempts, for the writes that queued meanwhile to go through.
PAUSE_SECONDS = 1.0
# PostgreSQL's lock_not_available; MariaDB's ER_LOCK_WAIT_TIMEOUT. Codes, not messages, which
# a server may speak in another language.
POSTGRESQL_LOCK_NOT_AVAILABLE = "55P03"
MYSQL_LOCK_WAIT_TIMEOUT = 1205


def gave_up_waiting_for_a_lock(error: OperationalError) -> bool:
    # psycopg's errors carry a SQLSTATE; mysqlclient's carry the code as their first argument.
    cause = error.__cause__
    code = getattr(cause, "sqlstate", None) or next(iter(getattr(cause, "args", ())), None)
    return code in (POSTGRESQL_LOCK_NOT_AVAILABLE, MYSQL_LOCK_WAIT_TIMEOUT)


class Command(migrate.Command):
    help = migrate.Command.help + " Waits at most a moment for each lock, and tries again."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--lock-attempts",
            type=int,
            default=60,
            help="attempts before giving up when a table's lock stays taken (default 60, about "
            "a minute and a half); the deploy then fails with the database's message, to run "
            "again once the long reader is done",
        )

    def handle(self, *args: str, **options: Any) -> str | None:
        connection = connections[options["database"]]
        attempts = options["lock_attempts"]
        attempt = 1
        while True:
            try:
                with bounded_lock_waits(connection):
                    return super().handle(*args, **options)
            except OperationalError as error:
                if not gave_up_waiting_for_a_lock(error):
                    raise
                if attempt >= attempts:
                    raise CommandError(
                        f"a table's lock stayed taken through {attempts} attempts ({error}): a "
                        "long transaction holds it (a backup, an export, an open shell?). The "
                        "migration that waited was not applied; run migrate again once that "
                        "transaction has ended."
                    ) from error
                self.stderr.write(
                    f"A table's lock is taken (a long transaction?): attempt {attempt} of "
                    f"{attempts} gave up after the lock timeout; again in {PAUSE_SECONDS:g} s"
                )
                time.sleep(PAUSE_SECONDS)
                attempt += 1


@contextmanager
def bounded_lock_waits(connection: BaseDatabaseWrapper) -> Iterator[None]:
    statements = LOCK_TIMEOUT.get(connection.vendor)
    if statements is None:
        yield
        return
    set_timeout, reset_timeout = statements
    with connection.cursor() as cursor:
        cursor.execute(set_timeout)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(reset_timeout)
