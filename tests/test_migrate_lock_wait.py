"""`manage.py migrate` never stops the writes behind a long reader: it waits at most a moment for
a table's lock, gives up, lets the queued writes through and tries again (microblog/management/
commands/migrate.py; docs/schema-changes.md, scenario i). On PostgreSQL and MariaDB, whose
migrations queue for locks; SQLite has no such queue."""

import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from accounts.models import User

# accounts/0002 widens the password column: an ALTER TABLE that needs the users table to itself
# for an instant, a leaf that nothing else depends on.
MIGRATION = ("accounts", "0002_password_256")
REPORT_SECONDS = 3
# The lock timeouts (0.5 s on PostgreSQL, 1 s on MariaDB) and room for a busy machine.
WORST_WAIT_BOUND = {"postgresql": 1.5, "mysql": 2.5}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def servers_only():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has no queue of locks: one writer at a time, behind its busy timeout")


@pytest.fixture
def rolled_back():
    """The users table as before accounts/0002; migrated up again whatever the test did."""
    call_command("migrate", *MIGRATION[:1], "0001", verbosity=0)
    yield
    call_command("migrate", verbosity=0)


def applied() -> bool:
    return MigrationRecorder.Migration.objects.filter(app=MIGRATION[0], name=MIGRATION[1]).exists()


class Report(threading.Thread):
    """A long read of the users table in one transaction, as a backup or an export would."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.reading = threading.Event()

    def run(self) -> None:
        try:
            with transaction.atomic():
                User.objects.count()
                self.reading.set()
                time.sleep(self.seconds)
        finally:
            connection.close()


class Writer(threading.Thread):
    """A user signs up every 50 ms; each insert's time is kept."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []
        self.failures: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    n = len(self.waits) + len(self.failures)
                    User.objects.create(username=f"writer{n}", email=f"writer{n}@example.com")
                except OperationalError as error:
                    self.failures.append(str(error))
                else:
                    self.waits.append(time.monotonic() - started)
                time.sleep(0.05)
        finally:
            connection.close()


def migrate_behind_a_report(report_seconds: float, *args: str) -> tuple[Writer, str]:
    writer, report = Writer(), Report(report_seconds)
    writer.start()
    report.start()
    assert report.reading.wait(10)
    errors = StringIO()
    try:
        call_command("migrate", *MIGRATION, *args, verbosity=0, stderr=errors)
    finally:
        report.join()
        writer.stop.set()
        writer.join()
    return writer, errors.getvalue()


def test_the_writes_wait_a_moment_while_the_migration_waits_out_a_long_reader(rolled_back):
    started = time.monotonic()
    writer, errors = migrate_behind_a_report(REPORT_SECONDS)

    assert applied()
    # It did meet the report's lock, and gave up on it at least once rather than queue.
    assert "gave up after the lock timeout" in errors
    assert time.monotonic() - started >= REPORT_SECONDS
    assert writer.failures == []
    assert len(writer.waits) > REPORT_SECONDS * 5
    assert max(writer.waits) < WORST_WAIT_BOUND[connection.vendor], sorted(writer.waits)[-5:]


def test_the_timeout_is_put_back_on_the_connection_afterwards(rolled_back):
    call_command("migrate", *MIGRATION, verbosity=0)

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "0"
        else:
            cursor.execute("SELECT @@SESSION.lock_wait_timeout = @@GLOBAL.lock_wait_timeout")
            assert cursor.fetchone()[0] == 1


def test_a_reader_longer_than_every_attempt_fails_the_migration_and_changes_nothing(rolled_back):
    with pytest.raises(CommandError, match="lock stayed taken through 2 attempts"):
        migrate_behind_a_report(2 * REPORT_SECONDS, "--lock-attempts", "2")

    assert not applied()
    call_command("migrate", *MIGRATION, verbosity=0)  # once the reader is gone, it goes through
    assert applied()
