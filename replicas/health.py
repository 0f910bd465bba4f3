"""/healthz for load balancers and monitoring: which state the site is in, and one word per
database saying why.

- "healthy" (200): the primary takes writes, every standby serves reads.
- "degraded" (200): the primary takes writes, a standby is down or lagging; its reads go
  elsewhere. Every page works.
- "read-only" (200): the primary cannot take writes; the public pages are served from a standby,
  writes, logins and the admin answer 503 until a primary answers again.
- "down" (503): nothing can serve the public pages.

A load balancer takes an app server out on 503 only: when the primary or a standby fails, every
app server sees the same databases, and taking them all out would turn a partial outage into a
whole one (docs/scale-out.md). Monitoring reads the state.

No login, no session, no cookie: a load balancer has none. One cheap query per database, each
connection attempt bounded by a short connect timeout (microblog/database.py)."""

from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from replicas import status


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    # The primary first: whether a lagging standby may serve reads depends on it.
    databases = {
        alias: status.check(alias) for alias in [DEFAULT_DB_ALIAS, *status.replica_aliases()]
    }
    replicas_ok = [databases[alias].ok for alias in status.replica_aliases()]
    if databases[DEFAULT_DB_ALIAS].ok:
        state = "healthy" if all(replicas_ok) else "degraded"
    else:
        state = "read-only" if any(replicas_ok) else "down"
    report = {"status": state, "databases": {alias: s.detail for alias, s in databases.items()}}
    response = JsonResponse(report, status=503 if state == "down" else 200)
    # Its 503 is the answer asked for, not a failure of this request: the databases' changes
    # are logged once each (replicas/status.py), not at each probe (Django's own mark for a
    # response it has logged already).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
