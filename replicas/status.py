"""Which databases may serve reads right now, checked cheaply: each replica at most once per
REPLICA_CHECK_SECONDS (a second) per process while it is healthy. A replica that is down or lags
more than REPLICA_MAX_LAG_SECONDS is skipped, logged once, and tried again after
REPLICA_RETRY_SECONDS. When the primary cannot be reached, a standby that has replayed all the
WAL it received serves the reads however old its last transaction: the site is read-only until
the primary (or a newly promoted one) answers again (docs/scale-out.md)."""

import logging
import random
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

# Seconds the standby is behind the primary, and whether it has replayed all the WAL it
# received. `now() - pg_last_xact_replay_timestamp()` alone
# is wrong when the primary is idle: the last replayed transaction gets old while the standby
# misses nothing. So: a standby that is streaming and has replayed all the WAL it received is
# 0 s behind. Otherwise (replay paused or slow, or the stream broken) the age of the last
# replayed transaction is the bound we can measure: it overstates the lag, which errs towards
# the primary. Never having replayed anything while not caught up counts as infinitely behind.
# A server that is not in recovery (a promoted standby) has everything it has: 0.
# pg_stat_wal_receiver shows its status only to roles with pg_read_all_stats (others see NULL):
# without that role, a running WAL receiver is taken as streaming.
# With the primary gone the stream is broken and the lag only grows, but a standby whose replay
# has reached the last WAL it received holds the newest data there is (pg_last_wal_receive_lsn()
# stays at the last position received after the stream ends; it is NULL when the standby has
# received nothing since it started, having replayed all its own WAL).
# "Replayed all it received" is not always receive = replay: a big transaction's WAL is sent as
# the primary flushes it, by whole pages, so what the standby received may end in part of a
# record, which it replays only once the rest arrives, and never if the primary died (issue 25:
# a leader killed while a 60,000-row import was written). It has all the committed transactions
# there are even so. Its startup process then waits for WAL (RecoveryWalStream while streaming,
# RecoveryRetrieveRetryInterval between tries to reconnect): it has replayed all it can. Like
# the receiver's status, the startup process's wait shows only to pg_read_all_stats.
LAG_SQL = """
WITH standby AS (
    SELECT
        pg_is_in_recovery() AS in_recovery,
        pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
            OR EXISTS (
                SELECT FROM pg_stat_activity
                WHERE backend_type = 'startup'
                    AND wait_event IN ('RecoveryWalStream', 'RecoveryRetrieveRetryInterval')
            ) AS replayed_all_it_can
)
SELECT CASE
    WHEN NOT in_recovery THEN 0
    WHEN replayed_all_it_can
        AND EXISTS (
            SELECT FROM pg_stat_wal_receiver WHERE coalesce(status = 'streaming', true)
        ) THEN 0
    ELSE coalesce(
        extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,
        'Infinity'::float8
    )
END,
NOT in_recovery
    OR coalesce(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), true)
    OR coalesce(replayed_all_it_can, false)
FROM standby
"""
# A PostgreSQL primary must also take writes: a URL that reaches a standby (a demoted leader) is
# no place for them. The same test as libpq's target_session_attrs=read-write.
PRIMARY_SQL = "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'"
# PostgreSQL's "cannot execute INSERT in a read-only transaction": the server is a standby.
READ_ONLY_SQL_TRANSACTION = "25006"


@dataclass
class Status:
    ok: bool  # a replica: may serve reads; the primary: takes writes
    detail: str  # what /healthz shows: "ok", "down: ...", "lagging: ...", "read-only: ..."
    checked_at: float


_statuses: dict[str, Status] = {}
# When the primary's last check failed after one that passed (time.monotonic()).
_primary_failed_at = float("-inf")
# Re-entrant: checking a replica may check the primary (is this read-only mode?).
_lock = threading.RLock()


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias != DEFAULT_DB_ALIAS]


def pick_replica() -> str | None:
    """A healthy replica's alias, chosen at random to spread the reads; None when none is."""
    usable = [alias for alias in replica_aliases() if usable_now(alias)]
    return random.choice(usable) if usable else None


def primary_is_down() -> bool:
    """The primary's last known answer, at most REPLICA_CHECK_SECONDS old: unreachable, or no
    longer a primary."""
    return not usable_now(DEFAULT_DB_ALIAS)


def primary_was_down() -> bool:
    """The primary's last check failed, however long ago; asks nothing."""
    status = _statuses.get(DEFAULT_DB_ALIAS)
    return status is not None and not status.ok


def read_only() -> bool:
    """The primary is down and a standby serves the public reads: the site is read-only."""
    return primary_is_down() and pick_replica() is not None


def written_to_a_standby(exception: BaseException | None) -> bool:
    """The driver's error under Django's says a write reached a server that takes none."""
    cause = getattr(exception, "__cause__", None)
    return getattr(cause, "sqlstate", None) == READ_ONLY_SQL_TRANSACTION


def usable_now(alias: str) -> bool:
    if _stale(alias, _statuses.get(alias)):
        with _lock:  # one thread checks; others (threaded servers) use the last answer
            status = _statuses.get(alias)
            if _stale(alias, status):
                status = check(alias)
    return _statuses[alias].ok


def _stale(alias: str, status: Status | None) -> bool:
    if status is None:
        return True
    if alias != DEFAULT_DB_ALIAS and not status.ok and status.checked_at < _primary_failed_at:
        # Skipped while the primary answered, as lagging behind it: with the primary gone, a
        # standby that has replayed all it received may serve the reads (read-only), so it is
        # asked again now, not after REPLICA_RETRY_SECONDS.
        return True
    wait = (
        settings.REPLICA_CHECK_SECONDS
        if alias == DEFAULT_DB_ALIAS or status.ok
        else settings.REPLICA_RETRY_SECONDS
    )
    return time.monotonic() - status.checked_at >= wait


def check(alias: str) -> Status:
    """Ask the database now; remember and return its Status. Logs only when it changes."""
    connection = connections[alias]
    # A connection that failed in this request is dropped first, so the check connects afresh:
    # with several hosts in the URL, that may well reach another server, which answers.
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
    try:
        with connection.cursor() as cursor:
            if alias != DEFAULT_DB_ALIAS:
                cursor.execute(LAG_SQL)
                lag, caught_up = cursor.fetchone()
            elif connection.vendor == "postgresql":
                cursor.execute(PRIMARY_SQL)
                lag, caught_up = (0.0, True) if cursor.fetchone()[0] else (None, False)
            else:
                cursor.execute("SELECT 1")
                lag, caught_up = 0.0, True
    except DatabaseError as exc:
        # Drop the broken connection, so the next try connects afresh.
        connection.close()
        reason = " ".join(str(exc).split())[:200]
        status = Status(False, f"down: {type(exc).__name__}", time.monotonic())
        _remember(alias, status, reason)
        return status
    limit = settings.REPLICA_MAX_LAG_SECONDS
    if lag is None:
        # The URL reached no server that takes writes: a demoted leader, a failover under way.
        connection.close()
        status = Status(False, "read-only: takes no writes", time.monotonic())
    elif lag <= limit:
        status = Status(True, "ok", time.monotonic())
    elif caught_up and primary_is_down():
        # Read-only mode: the newest data that exists, however old its last transaction.
        status = Status(True, "ok: all it received replayed (read-only)", time.monotonic())
    else:
        status = Status(False, f"lagging: {lag:.1f} s behind (limit {limit:g} s)", time.monotonic())
    _remember(alias, status, status.detail)
    return status


def _remember(alias: str, status: Status, reason: str) -> None:
    global _primary_failed_at
    previous = _statuses.get(alias)
    _statuses[alias] = status
    if alias == DEFAULT_DB_ALIAS and not status.ok and (previous is None or previous.ok):
        _primary_failed_at = status.checked_at
    if (previous is None and status.ok) or (previous and previous.ok == status.ok):
        return
    if alias == DEFAULT_DB_ALIAS:
        _log_primary(status, reason)
    elif status.ok:
        log.warning("%s is back: reads use it again", alias)
    else:
        log.warning(
            "%s is skipped, reads go elsewhere; retrying every %g s (%s)",
            alias,
            settings.REPLICA_RETRY_SECONDS,
            reason,
        )


def _log_primary(status: Status, reason: str) -> None:
    if status.ok:
        log.warning("the primary is back: writes, logins and the admin work again")
    elif replica_aliases():
        log.warning(
            "the primary cannot take writes: the site is read-only, public reads continue "
            "from the standbys; writes, logins and the admin answer 503 (%s)",
            reason,
        )
    else:
        log.warning("the primary cannot take writes: pages answer 503 (%s)", reason)
