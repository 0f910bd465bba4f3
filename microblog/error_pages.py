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

# How long a client (or a load balancer) should wait before trying again when the database is
# unreachable: about the time a database server takes to restart.
RETRY_AFTER_SECONDS = 30


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Our own refusals (a broken page link, a date that is not one) say what was wrong; other
    # 400s (a bad Host header, a tampered cookie) say nothing an attacker could use.
    message = str(exception) if type(exception) is BadRequest else ""
    return page(request, 400, {"message": message})


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 with Retry-After when the database cannot be reached or has refused a
    connection: that is no bug in the app, and it will pass."""
    exception = sys.exc_info()[1]
    if isinstance(exception, (OperationalError, InterfaceError)):
        response = page(request, 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return page(request, 500)


def page(request: HttpRequest, status: int, context: dict[str, Any] | None = None) -> HttpResponse:
    body = loader.get_template(f"{status}.html").render({"request": request, **(context or {})})
    return HttpResponse(body, status=status)
