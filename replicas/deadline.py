"""No request waits on PostgreSQL or MariaDB longer than DATABASE_TIMEOUT_SECONDS (15 s): past it,
the request's query is cancelled, and it answers the 503 page (read-only for now, try again) well
before gunicorn's 30 s timeout would kill its worker and answer gunicorn's own 500 page.

A read from a standby is bounded more tightly, by REPLICA_TIMEOUT_SECONDS (5 s): a standby
whose PostgreSQL stops answering (a frozen machine or process; the kernel still holds the
connection open, so nothing times out, and a cancel, sent to its postmaster, is not answered
either) would hold the read for as long as it sleeps. Past the bound, a query still running on
a standby's connection has that connection hung up under it (its socket shut down), so the query
fails at once, and the router serves the read again from wherever can serve it
(replicas/router.py) while the standby is skipped as down.

A query can wait for ever on a lock, and a commit on a primary waits for its synchronous
standby, which never comes when the standby has left while nothing (a frozen Patroni, say)
turns synchronous replication off. PostgreSQL's `statement_timeout` does not end that wait: it
is turned off before the commit starts. Only a cancel does, and then PostgreSQL keeps the commit
on the primary alone ("canceling wait for synchronous replication … already committed
locally") and the driver reports success. A post saved so might yet be lost at a failover: the
answer is a 503 whatever the view said, and the editor's resend finds the post if it was kept
(blog/admin.py: the add form's key) and makes it if it was not.

On MariaDB a write waits for a row lock for `innodb_lock_wait_timeout` (50 s) and for a table's
metadata lock (held by a migration, a dump, `LOCK TABLES`) for `lock_wait_timeout` (a year):
both longer than gunicorn's timeout. mysqlclient has no cancel; `KILL QUERY` from a second
connection is MariaDB's.
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from psycopg.pq import TransactionStatus

from microblog.error_pages import unavailable
from replicas.status import replica_aliases

log = logging.getLogger(__name__)

# Past the deadline, every later query of the request (its session's save, say) is cancelled
# as well, within this many seconds.
CANCEL_AGAIN_SECONDS = 0.5
# A cancel is a new connection to the server; one that does not answer is given up after this.
CANCEL_TIMEOUT_SECONDS = 3


class DatabaseDeadlineMiddleware:
    """PostgreSQL and MariaDB: SQLite's busy timeout (20 s) already bounds its one kind of wait."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        vendor = connections[DEFAULT_DB_ALIAS].vendor
        if vendor not in ("postgresql", "mysql"):
            raise MiddlewareNotUsed
        if vendor == "mysql":
            connection_created.connect(remember_server_thread_id, dispatch_uid=__name__)
        self.get_response = get_response
        # When a request of this process last went past the deadline while all before it had
        # not (time.monotonic()); None while requests get their answers in time.
        self.late_since: float | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        watch = Watch(connections[DEFAULT_DB_ALIAS])
        replicas = [Watch(connections[alias]) for alias in replica_aliases()]
        watchers = [threading.Thread(target=watch.cancel_when_late, daemon=True)] + [
            threading.Thread(target=replica.hang_up_when_late, daemon=True) for replica in replicas
        ]
        for watcher in watchers:
            watcher.start()
        try:
            response = self.get_response(request)
        finally:
            for each in (watch, *replicas):
                each.done.set()
            for watcher in watchers:
                watcher.join()
        if watch.late:
            return self.too_late(request)
        if self.late_since is not None:
            log.warning(
                "the database answers requests in time again, after %.0f s",
                time.monotonic() - self.late_since,
            )
            self.late_since = None
        return response

    def too_late(self, request: HttpRequest) -> HttpResponse:
        """The 503, logged once when requests start to take too long (and once when they stop,
        above), not for each of them."""
        if self.late_since is None:
            self.late_since = time.monotonic()
            log.warning(
                "the database took more than %g s: requests that wait so long have their "
                "queries cancelled and answer 503",
                settings.DATABASE_TIMEOUT_SECONDS,
            )
        response = unavailable(request)
        # Django's own mark for a response it has logged already: not an ERROR line each.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response


class Watch:
    """Ends the queries of one thread's connection once the deadline has passed."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        # Django's connection wrapper belongs to the request's thread; its psycopg connection
        # may be cancelled from another (psycopg's cancel_safe is meant for that).
        self.connection = connection
        self.done = threading.Event()
        self.late = False

    def cancel_when_late(self) -> None:
        if self.done.wait(settings.DATABASE_TIMEOUT_SECONDS):
            return
        self.late = True
        while True:
            driver = self.connection.connection
            if driver is not None:
                # Nothing to cancel, or a server that does not answer: nothing to do.
                with suppress(Exception):
                    self.cancel(driver)
            if self.done.wait(CANCEL_AGAIN_SECONDS):
                return

    def cancel(self, driver: Any) -> None:
        if self.connection.vendor == "postgresql":
            driver.cancel_safe(timeout=CANCEL_TIMEOUT_SECONDS)
            return
        params = self.connection.get_connection_params()
        params["connect_timeout"] = CANCEL_TIMEOUT_SECONDS
        killer = self.connection.Database.connect(**params)  # type: ignore[attr-defined]
        try:
            killer.cursor().execute("KILL QUERY %s", (self.connection.server_thread_id,))  # type: ignore[attr-defined]
        finally:
            killer.close()

    def hang_up_when_late(self) -> None:
        """A standby's: a query still running past REPLICA_TIMEOUT_SECONDS has its connection
        shut under it (a server that sleeps answers no cancel), once; the read is served again
        elsewhere. An idle connection is left alone."""
        if self.done.wait(settings.REPLICA_TIMEOUT_SECONDS):
            return
        driver = self.connection.connection
        # Nothing running, or the connection already gone: nothing to do.
        with suppress(Exception):
            if driver is not None and driver.pgconn.transaction_status == TransactionStatus.ACTIVE:
                # Shut down, not closed: the descriptor stays libpq's, which then reads the end
                # of the connection and fails the query. The copy is only for the call.
                with socket.socket(fileno=os.dup(driver.pgconn.socket)) as copy:
                    copy.shutdown(socket.SHUT_RDWR)


def remember_server_thread_id(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: Any
) -> None:
    """`KILL QUERY` names a connection by the server's id for it, which mysqlclient tells only the
    thread using the connection: asked from the watching thread mid-query, it refuses."""
    connection.server_thread_id = connection.connection.thread_id()  # type: ignore[attr-defined]
