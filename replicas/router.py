"""Reads from replicas, everything else on the primary (docs/scale-out.md).

Django's routers see a model, never the request, so ReadRoutingMiddleware decides per request
whether its reads may use a replica and leaves the answer in a context variable: only public
GET and HEAD requests outside the admin, from visitors who have not written in the last
READ_YOUR_WRITES_SECONDS. Everything else (writes, the admin, management commands, shells,
migrations) reads from the primary. When the primary is down, public reads (a recent writer's
too) are served again from a standby: the site is read-only (docs/scale-out.md).
"""

import math
from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from replicas import status

READ_METHODS = {"GET", "HEAD"}
# A signed cookie carries "this visitor wrote recently": it works for visitors without a session,
# and a forged or expired one is ignored. Its age is checked against READ_YOUR_WRITES_SECONDS
# by the signature's own timestamp.
RECENT_WRITE_COOKIE = "recent_write"


class ReadPlan:
    """This request may read from a replica: which one is chosen at its first read, and kept
    for the whole request so that all its reads see the same moment.

    read_only: the primary is down, so even the sessions are read from the standby (no logout
    can happen meanwhile: it would be a write)."""

    def __init__(self, read_only: bool = False) -> None:
        self.alias: str | None = None
        self.read_only = read_only


def is_public_read(request: HttpRequest) -> bool:
    """A GET or HEAD outside the admin: what a standby may serve."""
    return request.method in READ_METHODS and not request.path.startswith(reverse("admin:index"))


# The current request's ReadPlan, or None: read from the primary.
current_plan: ContextVar[ReadPlan | None] = ContextVar("current_plan", default=None)


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        plan = current_plan.get()
        # Sessions come from the primary: a logout must end its session everywhere at once,
        # not once the replicas catch up. Inside a transaction on the primary, reads
        # belong to it too: they must see what it has written and not yet committed.
        if (
            plan is None
            or (model._meta.app_label == "sessions" and not plan.read_only)
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        if plan.alias is None:
            plan.alias = status.pick_replica() or DEFAULT_DB_ALIAS
        return plan.alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # Replicas hold the primary's very rows: an object read from one may point to another.
        return True

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        # Replicas get the schema by replication; `migrate --database replica_1` runs no DDL.
        return db == DEFAULT_DB_ALIAS


class ReadRoutingMiddleware:
    """Opens each request's ReadPlan, and sets the recent-write cookie after a write.

    Must come before any middleware that reads the database when called (it wraps them);
    Django's SessionMiddleware and AuthenticationMiddleware read lazily, in the view. Not used
    at all without DATABASE_REPLICA_URLS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not status.replica_aliases():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        plan = ReadPlan() if self.may_read_from_replicas(request) else None
        token = current_plan.set(plan)
        try:
            response = self.get_response(request)
        finally:
            current_plan.reset(token)
        if request.method not in READ_METHODS:
            response.set_signed_cookie(
                RECENT_WRITE_COOKIE,
                "1",
                # Whole seconds, rounded up: the signature's age is what is checked on reading.
                max_age=math.ceil(settings.READ_YOUR_WRITES_SECONDS),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def may_read_from_replicas(self, request: HttpRequest) -> bool:
        if not is_public_read(request):
            return False
        recent_write = request.get_signed_cookie(
            RECENT_WRITE_COOKIE,
            default=None,
            max_age=timedelta(seconds=settings.READ_YOUR_WRITES_SECONDS),
        )
        return recent_write is None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A public read that failed on a database error is served once more, on whatever can
        serve it now, instead of answering 503: a replica that died since its last check is
        replaced by another or by the primary; with the primary down, a standby that has
        replayed all it received serves every public read (read-only mode)."""
        if not isinstance(exception, (OperationalError, InterfaceError)) or not is_public_read(
            request
        ):
            return None
        plan = current_plan.get()
        if plan is not None and plan.alias is not None and plan.alias != DEFAULT_DB_ALIAS:
            status.check(plan.alias)
        primary_ok = status.check(DEFAULT_DB_ALIAS).ok
        retry = None  # a recent writer's read stays on the primary while it answers
        if plan is not None or not primary_ok:
            retry = ReadPlan(read_only=not primary_ok)
            retry.alias = status.pick_replica() or (DEFAULT_DB_ALIAS if primary_ok else None)
            if retry.alias is None:
                return None  # nothing can serve the read: a 503
        match = request.resolver_match
        if match is None:  # never for a view's exception: the URL was resolved to reach it
            return None
        token = current_plan.set(retry)
        try:
            return match.func(request, *match.args, **match.kwargs)
        finally:
            current_plan.reset(token)
