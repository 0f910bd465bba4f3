"""Reads from replicas, everything else on the primary (docs/scale-out.md).

Django's routers see a model, never the request, so ReadRoutingMiddleware decides per request
whether its reads may use a replica and leaves the answer in a context variable: only public
GET and HEAD requests outside the admin, from visitors who have not written in the last
READ_YOUR_WRITES_SECONDS. Everything else (writes, the admin, management commands, shells,
migrations) reads from the primary.
"""

import math
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.urls import reverse

from replicas import status

READ_METHODS = {"GET", "HEAD"}
# A signed cookie carries "this visitor wrote recently": it works for visitors without a session,
# and a forged or expired one is ignored. Its age is checked against READ_YOUR_WRITES_SECONDS
# by the signature's own timestamp.
RECENT_WRITE_COOKIE = "recent_write"


class ReadPlan:
    """This request may read from a replica: which one is chosen at its first read, and kept
    for the whole request so that all its reads see the same moment."""

    alias = None


# The current request's ReadPlan, or None: read from the primary.
current_plan = ContextVar("current_plan", default=None)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        plan = current_plan.get()
        # Sessions always come from the primary: a logout must end its session everywhere at
        # once, not once the replicas catch up. Inside a transaction on the primary, reads
        # belong to it too: they must see what it has written and not yet committed.
        if (
            plan is None
            or model._meta.app_label == "sessions"
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        if plan.alias is None:
            plan.alias = status.pick_replica() or DEFAULT_DB_ALIAS
        return plan.alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Replicas hold the primary's very rows: an object read from one may point to another.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas get the schema by replication; `migrate --database replica_1` runs no DDL.
        return db == DEFAULT_DB_ALIAS


class ReadRoutingMiddleware:
    """Opens each request's ReadPlan, and sets the recent-write cookie after a write.

    Must come before any middleware that reads the database when called (it wraps them);
    Django's SessionMiddleware and AuthenticationMiddleware read lazily, in the view. Not used
    at all without DATABASE_REPLICA_URLS."""

    def __init__(self, get_response):
        if not status.replica_aliases():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
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

    def may_read_from_replicas(self, request):
        if request.method not in READ_METHODS or request.path.startswith(reverse("admin:index")):
            return False
        recent_write = request.get_signed_cookie(
            RECENT_WRITE_COOKIE, default=None, max_age=settings.READ_YOUR_WRITES_SECONDS
        )
        return recent_write is None

    def process_exception(self, request, exception):
        """A replica that died since its last check: check it now and, if it is down, serve
        this read again from another replica or the primary instead of answering 503."""
        plan = current_plan.get()
        if (
            plan is None
            or plan.alias in (None, DEFAULT_DB_ALIAS)
            or not isinstance(exception, (OperationalError, InterfaceError))
            or status.check(plan.alias).ok
        ):
            return None
        plan.alias = status.pick_replica() or DEFAULT_DB_ALIAS
        match = request.resolver_match
        return match.func(request, *match.args, **match.kwargs)
