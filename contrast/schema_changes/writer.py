"""A writer that keeps inserting posts while a migration runs, and what it went through."""

import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa

from contrast.schema_changes.data import TIMESTAMP, post_table

# The pace: a post every 50 ms, as a busy site's users write them.
INTERVAL = 0.05
# How long the writer goes on once the migration has ended: what the code still running (written
# for the old schema) meets afterwards, e.g. a column renamed under it.
AFTERWARDS = 1.0


@dataclass
class WriterReport:
    inserted: int = 0
    worst_stall: float = 0.0  # seconds, the slowest insert
    failures: list[str] = field(default_factory=list)
    # Seconds from the writer's start to its first failure, and when the migration ended.
    first_failure: float | None = None
    migration_ended: float | None = None


class Writer(threading.Thread):
    """Inserts a post every INTERVAL seconds into the database `url` (SQLAlchemy's form), each in
    its own transaction, until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        # SQLite: wait for the migration's lock (as the project's own settings do) instead of
        # failing at once with "database is locked".
        connect_args = {"timeout": 60} if url.startswith("sqlite") else {}
        self.engine = sa.create_engine(url, connect_args=connect_args)
        self.report = WriterReport()
        self._stopping = threading.Event()
        self._began = time.monotonic()

    def run(self) -> None:
        post = sa.table("post", *(sa.column(c) for c in ("body", "timestamp", "user_id")))
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        sa.insert(post).values(
                            body="written during", timestamp=TIMESTAMP, user_id=1
                        )
                    )
                self.report.inserted += 1
            except sa.exc.DBAPIError as exc:
                if self.report.first_failure is None:
                    self.report.first_failure = started - self._began
                self.report.failures.append(str(exc.orig).splitlines()[0])
            took = time.monotonic() - started
            self.report.worst_stall = max(self.report.worst_stall, took)
            self._stopping.wait(max(0.0, INTERVAL - took))

    def stop(self) -> WriterReport:
        """Stop AFTERWARDS seconds from now: the migration has just ended."""
        self.report.migration_ended = time.monotonic() - self._began
        time.sleep(AFTERWARDS)
        self._stopping.set()
        self.join()
        self.engine.dispose()
        return self.report


# A lock that a session waits for on the posts table: PostgreSQL's lock table, MariaDB's metadata
# locks (seen in its process list).
WAITING_FOR_POST = {
    "postgresql": "SELECT 1 FROM pg_locks WHERE relation = 'post'::regclass AND NOT granted",
    "mysql": "SELECT 1 FROM information_schema.PROCESSLIST"
    " WHERE STATE = 'Waiting for table metadata lock' AND DB = DATABASE()",
}
# How long the report waits for a migration to ask for the table, at most (a busy machine takes
# seconds to start one).
MIGRATION_ARRIVES_WITHIN = 60.0


class Report(threading.Thread):
    """A long read of the posts table, as a report runs: a transaction that reads it and holds it
    (ACCESS SHARE on PostgreSQL, a metadata lock on MariaDB) until a migration has waited for the
    table `seconds`, so that whatever queues behind the migration waits that long too."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.seconds = seconds
        self.reading = threading.Event()

    def run(self) -> None:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as report, report.begin():
                report.execute(sa.text("SELECT count(*) FROM post")).scalar_one()
                self.reading.set()
                self._until_a_migration_waits(engine)
                time.sleep(self.seconds)
        finally:
            self.reading.set()  # never leave the migration waiting for a report that failed
            engine.dispose()

    @staticmethod
    def _until_a_migration_waits(engine: sa.Engine) -> None:
        waiting = sa.text(WAITING_FOR_POST[engine.dialect.name])
        deadline = time.monotonic() + MIGRATION_ARRIVES_WITHIN
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watch:
            while time.monotonic() < deadline and watch.execute(waiting).first() is None:
                time.sleep(0.05)


def written_during(connection: sa.Connection) -> int:
    post = post_table()
    return connection.execute(
        sa.select(sa.func.count()).select_from(post).where(post.c.body == "written during")
    ).scalar_one()
