"""An id for every request, returned in the X-Request-ID header, and on every log line written
while the request is served, together with its method, path and user: one failing request's
lines can be found from what the visitor (or the load balancer) saw."""

import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# The request being served by this thread (or task), for log lines written during it.
current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every response, error pages included, carries the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Always our own: an id a client sent could be made to collide with another's.
        request_id = uuid.uuid4().hex
        # An attribute of our own (HttpRequest has none by that name), for the log filter below.
        request.id = request_id  # type: ignore[attr-defined]
        token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestContextFilter(logging.Filter):
    """Adds `request_fields` to each record: `request_id=… method=… path=… user_id=… ` on a line
    written while a request is served, nothing on any other line (a command's, a startup's,
    runserver's own access line, which names the request already), so no line carries a row of
    dashes.

    The path, not the URL: a query string may carry what should not be kept. The user only if
    the request has already looked them up: a log line must never query the database, which
    may be the very thing that failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        request: Any = getattr(record, "request", None) or current_request.get()
        if not hasattr(request, "id"):  # no request, or runserver's socket, not a Django request
            record.request_fields = ""
            return True
        user = getattr(request, "_cached_user", None)
        user_id = user.pk if user is not None and user.is_authenticated else "-"
        record.request_fields = (
            f"request_id={request.id} method={request.method} path={request.path} "
            f"user_id={user_id} "
        )
        return True
