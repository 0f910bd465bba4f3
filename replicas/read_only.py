"""Read-only mode: while the primary cannot take writes (down, or a failover under way), every
request that needs it (a write, a login, the admin) answers 503 with Retry-After and a page
saying the site is read-only for now, and the public reads go on from a standby
(replicas/router.py). A connection still held to a leader that has since been demoted to a
standby is dropped on its first refused write, so the next request connects afresh and, with
several hosts in DATABASE_URL, finds the new leader (docs/scale-out.md)."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper
from django.http import HttpRequest, HttpResponse

from microblog.error_pages import unavailable
from replicas import status
from replicas.router import is_public_read
from replicas.status import written_to_a_standby


def discard_connections(alias: str) -> None:
    """Close the connection for good, whether Django keeps it (CONN_MAX_AGE) or psycopg's pool
    does: the pool would keep a connection handed back open, and hand it out again. The pool's
    other connections lead to the same demoted server: the pool goes too, and a new one
    connects afresh."""
    connection = connections[alias]
    if connection.connection is not None:
        connection.connection.close()
    connection.close()
    # django-stubs 5.2.9 does not know the pool that Django 5.1 added to PostgreSQL's wrapper.
    if isinstance(connection, PostgreSQLWrapper) and connection.pool:  # type: ignore[attr-defined]
        connection.close_pool()  # type: ignore[attr-defined]


def refused(request: HttpRequest) -> HttpResponse:
    """The read-only 503, without a log line of its own: the outage it belongs to was logged
    once when it began (replicas/status.py), and Django would log each such answer at ERROR."""
    response = unavailable(request)
    # Django's own mark for a response it has logged already (django.utils.log.log_response).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class ReadOnlyMiddleware:
    """Turns a request refused because the primary cannot take writes into the read-only 503,
    without a line in the log for each: the log says once that the primary is down, and once
    that it is back (replicas/status.py). PostgreSQL only: elsewhere there is no standby to fail
    over to."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"] != "django.db.backends.postgresql":
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Once the primary has failed, it is asked again at most once per REPLICA_CHECK_SECONDS
        # (a healthy primary costs no query here), and what only it can serve is refused at
        # once meanwhile: the admin's login form, for one, needs no database to show, and would
        # only fail when sent. Its return is noticed (and logged) by the first request after.
        if status.primary_was_down() and status.primary_is_down() and not is_public_read(request):
            return refused(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if written_to_a_standby(exception):
            # Held since before a failover: this request's write is refused, the next request
            # connects afresh.
            discard_connections(DEFAULT_DB_ALIAS)
        elif not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        # The cached answer may predate this very failure: ask again unless it already says so.
        if not status.primary_is_down() and status.check(DEFAULT_DB_ALIAS).ok:
            # The primary answers (again): a passing failure, reported as one (a 503 page and
            # its traceback in the log), or the write that found the leader demoted.
            if written_to_a_standby(exception):
                return unavailable(request)
            return None
        return refused(request)
