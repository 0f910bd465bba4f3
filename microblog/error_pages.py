"""The site's error pages (urls.py names them as Django's handler400 and handler500).

Each renders its template without the request's context processors: an error page must not need
the database (no user lookup) to tell the visitor what went wrong. The request itself is passed,
for the nonce that lets the page's style past the Content-Security-Policy.
"""

import sys
from typing import Any

from django.core.exceptions import BadRequest
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

from replicas import status

# How long a client (or a load balancer) should wait before trying again when the database is
# unreachable: about the time a database server takes to restart.
RETRY_AFTER_SECONDS = 30


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Our own refusals (a broken page link, a date that is not one) say what was wrong; other
    # 400s (a bad Host header, a tampered cookie) say nothing an attacker could use.
    message = str(exception) if type(exception) is BadRequest else ""
    return page(request, 400, {"message": message})


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 with Retry-After when the database cannot be reached, has refused a
    connection, or refused a write as a standby: that is no bug in the app, and it will pass."""
    exception = sys.exc_info()[1]
    if isinstance(exception, (OperationalError, InterfaceError)) or status.written_to_a_standby(
        exception
    ):
        return unavailable(request)
    return page(request, 500)


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After; the page says the site is read-only for now when a standby still
    serves the public pages (replicas/read_only.py)."""
    read_only = bool(status.replica_aliases()) and status.read_only()
    response = page(request, 503, {"read_only": read_only})
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def page(request: HttpRequest, code: int, context: dict[str, Any] | None = None) -> HttpResponse:
    body = loader.get_template(f"{code}.html").render({"request": request, **(context or {})})
    return HttpResponse(body, status=code)
