"""django-tasks-db's `db_worker`, made to outlive its database. It replaces the library's command
of the same name (this app comes before django_tasks_db in INSTALLED_APPS, as
django.contrib.staticfiles' `runserver` replaces Django's own), so `manage.py db_worker` is
still the command to run.

The library's worker exits on the first database error: a failover or a restart of the server
would stop every import and export until someone restarted it, and leave the task it was running
RUNNING for ever. This one, when the database goes away:

- waits, trying again after 1, 2, 4, 8 and then every 10 s, and logs the outage once when it
  starts and once when it ends;
- runs again the task that the database lost under it: every task here may run twice (an
  import's write commits with its new state, so a second run finds it written; a check and an
  export start over);
- queues again, when it starts, the tasks a worker of this machine left RUNNING when it died
  (killed, or stopped while it waited): its id is `host:pid`, and that process is gone.
"""

import itertools
import logging
import os
import socket
import time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, Error, InterfaceError, OperationalError, connections
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from replicas.status import PRIMARY_SQL

log = logging.getLogger(__name__)

# The database cannot be reached or used (refused, gone, demoted to a standby).
UNAVAILABLE = (OperationalError, InterfaceError)
# Seconds between tries while the database is away: doubling up to the last, so the worker
# finds a database that is back within 10 s without asking a dead one many times a second.
RETRY_DELAYS = (1, 2, 4, 8, 10)
# Hostnames are up to 253 characters; django-tasks-db keeps worker ids of up to 64.
HOST = socket.gethostname()[:50]


class Worker(db_worker.Worker):
    def run(self) -> None:
        while True:
            try:
                self.queue_orphans_again()
                super().run()
                return  # --batch or --max-tasks is done
            except UNAVAILABLE as error:
                self.wait_for_database(error)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            # Runs the task and records its success or failure (which the library retries
            # three times in 0.2 s before it raises).
            super().run_task(db_task_result)
        except UNAVAILABLE as error:
            # The database went away under the task, or before its outcome was recorded.
            while True:
                self.wait_for_database(error)
                try:
                    queue_again([db_task_result.pk])
                    return
                except UNAVAILABLE as again:  # gone again already
                    error = again

    def queue_orphans_again(self) -> None:
        """Tasks left RUNNING by a worker of this machine that is gone (or by this very one,
        before an outage it has waited out: it runs none now)."""
        orphans = []
        for result in DBTaskResult.objects.running().filter(backend_name=self.backend_name):
            host, _, pid = (result.worker_ids or [""])[-1].rpartition(":")
            if host == HOST and pid.isdigit() and not running_elsewhere(int(pid)):
                orphans.append(result.pk)
        if orphans:
            log.warning(
                "%d task%s left running by a worker that is gone: queued again",
                len(orphans),
                "s" if len(orphans) != 1 else "",
            )
            queue_again(orphans)

    def wait_for_database(self, error: Error) -> None:
        """Returns once the database takes writes again; logs once when the wait starts and
        once when it ends. A connection that broke while the database still answers (killed by
        an administrator, say) is replaced after a second, with one line; an error that comes
        back each time the database answers is said once a second, never in a busy loop."""
        reason = " ".join(str(error).split())[:200]
        if database_takes_writes():
            log.warning(
                "the task worker's database connection failed (%s): connected again", reason
            )
            time.sleep(RETRY_DELAYS[0])
            return
        log.warning(
            "the database cannot be used: the task worker waits, trying again every %d s at "
            "most (%s)",
            RETRY_DELAYS[-1],
            reason,
        )
        started = time.monotonic()
        for attempt in itertools.count():
            time.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
            if database_takes_writes():
                break
        log.warning(
            "the database is back after %.0f s: the task worker goes on",
            time.monotonic() - started,
        )


def database_takes_writes() -> bool:
    """A new connection reads the task table and, on PostgreSQL, reaches a server that takes
    writes (with several hosts in DATABASE_URL, libpq finds the new leader after a failover)."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.close()
    try:
        DBTaskResult.objects.exists()
        if connection.vendor != "postgresql":
            return True
        with connection.cursor() as cursor:
            cursor.execute(PRIMARY_SQL)
            return bool(cursor.fetchone()[0])
    except Error:
        return False


def queue_again(pks: list[Any]) -> None:
    DBTaskResult.objects.filter(pk__in=pks).update(
        status=TaskResultStatus.READY, finished_at=None, exception_class_path="", traceback=""
    )


def running_elsewhere(pid: int) -> bool:
    """Another process of this machine with that id is running (this one runs no task now)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


class Command(db_worker.Command):
    help = (
        "Run the database background worker: imports and long exports from the admin. It waits "
        "out a database outage and runs again a task the database lost under it."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        # The process's own id, so that the next worker on this machine knows whether it is
        # still running (queue_orphans_again).
        parser.set_defaults(worker_id=f"{HOST}:{os.getpid()}")

    def handle(self, *args: Any, **options: Any) -> None:
        # The library's handle() does the rest (options, logging, signals, --reload) and builds
        # its worker as `Worker(...)`, a name of its own module: that name is ours meanwhile.
        original, db_worker.Worker = db_worker.Worker, Worker  # type: ignore[misc]
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original  # type: ignore[misc]
