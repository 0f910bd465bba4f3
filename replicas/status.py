"""Which read replicas may serve reads right now, checked cheaply: each replica at most once per
REPLICA_CHECK_SECONDS (a second) per process while it is healthy. A replica that is down or lags
more than REPLICA_MAX_LAG_SECONDS is skipped, logged once, and tried again after
REPLICA_RETRY_SECONDS (docs/scale-out.md)."""

import logging
import random
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

# Seconds the standby is behind the primary. `now() - pg_last_xact_replay_timestamp()` alone
# is wrong when the primary is idle: the last replayed transaction gets old while the standby
# misses nothing. So: a standby that is streaming and has replayed all the WAL it received is
# 0 s behind. Otherwise (replay paused or slow, or the stream broken) the age of the last
# replayed transaction is the bound we can measure: it overstates the lag, which errs towards
# the primary. Never having replayed anything while not caught up counts as infinitely behind.
# A server that is not in recovery (a promoted standby) has everything it has: 0.
# pg_stat_wal_receiver shows its status only to roles with pg_read_all_stats (others see NULL):
# without that role, a running WAL receiver is taken as streaming.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
        AND EXISTS (
            SELECT FROM pg_stat_wal_receiver WHERE coalesce(status = 'streaming', true)
        ) THEN 0
    ELSE coalesce(
        extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,
        'Infinity'::float8
    )
END
"""


@dataclass
class Status:
    ok: bool
    detail: str  # what /healthz shows: "ok", "down: ...", "lagging: ..."
    checked_at: float


_statuses = {}
_lock = threading.Lock()


def replica_aliases():
    return [alias for alias in settings.DATABASES if alias != DEFAULT_DB_ALIAS]


def pick_replica():
    """A healthy replica's alias, chosen at random to spread the reads; None when none is."""
    usable = [alias for alias in replica_aliases() if _usable(alias)]
    return random.choice(usable) if usable else None


def _usable(alias):
    status = _statuses.get(alias)
    now = time.monotonic()
    wait = (
        settings.REPLICA_CHECK_SECONDS if status and status.ok else settings.REPLICA_RETRY_SECONDS
    )
    if status is None or now - status.checked_at >= wait:
        with _lock:  # one thread checks; others (threaded servers) use the last answer
            status = _statuses.get(alias)
            if status is None or now - status.checked_at >= wait:
                status = check(alias)
    return status.ok


def check(alias):
    """Ask the database now; remember and return its Status. Logs only when it changes."""
    try:
        with connections[alias].cursor() as cursor:
            if alias == DEFAULT_DB_ALIAS:
                cursor.execute("SELECT 1")
                lag = 0.0
            else:
                cursor.execute(LAG_SQL)
                lag = cursor.fetchone()[0]
    except DatabaseError as exc:
        # Drop the broken connection, so the next try connects afresh.
        connections[alias].close()
        reason = " ".join(str(exc).split())[:200]
        status = Status(False, f"down: {type(exc).__name__}", time.monotonic())
        _remember(alias, status, reason)
        return status
    limit = settings.REPLICA_MAX_LAG_SECONDS
    if lag > limit:
        status = Status(False, f"lagging: {lag:.1f} s behind (limit {limit:g} s)", time.monotonic())
    else:
        status = Status(True, "ok", time.monotonic())
    _remember(alias, status, status.detail)
    return status


def _remember(alias, status, reason):
    previous = _statuses.get(alias)
    _statuses[alias] = status
    if alias == DEFAULT_DB_ALIAS or (previous and previous.ok == status.ok):
        return
    if status.ok:
        if previous:
            log.warning("%s is back: reads use it again", alias)
    else:
        log.warning(
            "%s is skipped, reads go elsewhere; retrying every %g s (%s)",
            alias,
            settings.REPLICA_RETRY_SECONDS,
            reason,
        )
