"""A writer that keeps inserting posts while a migration runs, and what it went through."""

import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa

from contrast.schema_changes.data import TIMESTAMP

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
    # The text of each post inserted, in order (each writer's own, so that a check can find them).
    written: list[str] = field(default_factory=list)

    @classmethod
    def merged(cls, reports: list["WriterReport"]) -> "WriterReport":
        """Several writers at once (scenario c3: the old code and the new) as one."""
        firsts = [r.first_failure for r in reports if r.first_failure is not None]
        return cls(
            inserted=sum(r.inserted for r in reports),
            worst_stall=max((r.worst_stall for r in reports), default=0.0),
            failures=[failure for r in reports for failure in r.failures],
            first_failure=min(firsts, default=None),
            migration_ended=reports[0].migration_ended if reports else None,
            written=[text for r in reports for text in r.written],
        )


class Writer(threading.Thread):
    """Inserts a post every INTERVAL seconds into the database `url` (SQLAlchemy's form), each in
    its own transaction, until stopped: into post.body, as the code deployed before a migration
    does, or the `column` the code of a later release writes. Each text says who wrote it and
    when (`label`), and is the writer's own."""

    def __init__(self, url: str, column: str = "body", label: str = "old code") -> None:
        super().__init__(daemon=True)
        self.column = column
        self.label = label
        # SQLite: wait for the migration's lock (as the project's own settings do) instead of
        # failing at once with "database is locked".
        connect_args = {"timeout": 60} if url.startswith("sqlite") else {}
        self.engine = sa.create_engine(url, connect_args=connect_args)
        self.report = WriterReport()
        self._stopping = threading.Event()
        self._began = time.monotonic()

    def run(self) -> None:
        post = sa.table("post", *(sa.column(c) for c in (self.column, "timestamp", "user_id")))
        while not self._stopping.is_set():
            started = time.monotonic()
            text = f"written during, by the {self.label} #{self.report.inserted + 1}"
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        sa.insert(post).values(
                            {self.column: text, "timestamp": TIMESTAMP, "user_id": 1}
                        )
                    )
                self.report.inserted += 1
                self.report.written.append(text)
            except sa.exc.DBAPIError as exc:
                if self.report.first_failure is None:
                    self.report.first_failure = started - self._began
                self.report.failures.append(str(exc.orig).splitlines()[0])
            took = time.monotonic() - started
            self.report.worst_stall = max(self.report.worst_stall, took)
            self._stopping.wait(max(0.0, INTERVAL - took))

    def stop(self) -> WriterReport:
        """Stop AFTERWARDS seconds from now: the migration has just ended."""
        return stop_together([self])


def stop_together(writers: list[Writer]) -> WriterReport:
    """Stop the writers AFTERWARDS seconds from now (the migration has just ended); what they went
    through, as one report."""
    for writer in writers:
        writer.report.migration_ended = time.monotonic() - writer._began
    time.sleep(AFTERWARDS)
    for writer in writers:
        writer._stopping.set()
        writer.join()
        writer.engine.dispose()
    return WriterReport.merged([writer.report for writer in writers])


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
