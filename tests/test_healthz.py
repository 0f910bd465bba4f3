"""/healthz tells a load balancer whether the databases answer: no login, no session, no cookie,
and no redirect to HTTPS (probes speak plain HTTP). The replicas' part is in
tests/test_read_replicas.py, against a real standby."""

import json

import pytest
from django.conf import settings

from tests.child_process import run_python
from tests.servers import closed_port


@pytest.mark.django_db
def test_it_says_ok_for_each_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    # Only "default", unless the run has replicas (make test-all's replica run).
    assert response.json() == {
        "status": "healthy",
        "databases": dict.fromkeys(settings.DATABASES, "ok"),
    }
    # Nothing a probe would keep, nor a cache.
    assert not response.cookies
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_only_answers_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


# Through the whole middleware stack of a child process with the environment given.
PROBE = """
from django.test import Client
response = Client().get("/healthz", HTTP_HOST="microblog.example.com")
print(response.status_code, response.content.decode())
"""


def probe(env):
    result = run_python("manage.py", "shell", "-v0", "-c", PROBE, env=env)
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.split(" ", 1)
    return int(status), json.loads(body)


def test_it_is_a_503_naming_the_database_that_is_down():
    url = f"postgres://postgres@127.0.0.1:{closed_port()}/microblog"

    assert probe({"DATABASE_URL": url, "ALLOWED_HOSTS": "microblog.example.com"}) == (
        503,
        {"status": "down", "databases": {"default": "down: OperationalError"}},
    )


def test_production_answers_plain_http_probes_without_redirecting(tmp_path):
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "microblog.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}",
    }

    assert probe(env) == (200, {"status": "healthy", "databases": {"default": "ok"}})
