from django.apps import AppConfig


class ReplicasConfig(AppConfig):
    """Read replicas (docs/scale-out.md): which database a request reads from (router.py), whether
    a replica is up and close enough behind its primary (status.py), and `/healthz` (health.py).
    With no DATABASE_REPLICA_URLS, none of it changes anything."""

    name = "replicas"
