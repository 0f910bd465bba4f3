"""/healthz for load balancers and monitoring: 200 when every database answers (replicas also
within REPLICA_MAX_LAG_SECONDS), 503 otherwise, with one word per database saying which.

No login, no session, no cookie: a load balancer has none. One cheap query per database, each
connection attempt bounded by a short connect timeout (microblog/database.py)."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from replicas import status


@never_cache
@require_safe
def healthz(request):
    report = {alias: status.check(alias).detail for alias in settings.DATABASES}
    healthy = all(detail == "ok" for detail in report.values())
    return JsonResponse(report, status=200 if healthy else 503)
