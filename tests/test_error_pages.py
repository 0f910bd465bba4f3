"""Errors get pages in the public page's style: 400 says what was wrong with a link, 500 says
sorry, and a database that cannot be reached is a 503 with Retry-After, not a 500."""

import json

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.test import Client

from tests.child_process import run_python
from tests.servers import closed_port, needs_mysqlclient
from tests.test_production import production_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_site(settings):
    settings.ROOT_URLCONF = "tests.urls_with_failures"
    # As a browser sees it: the exception becomes the error page, not a test failure.
    return Client(raise_request_exception=False)


def test_a_page_that_is_not_there_is_a_404_in_the_sites_style(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>Microblog</h1>" in page
    assert "There is nothing at this address." in page


def test_a_broken_page_link_says_what_was_wrong(client):
    response = client.get("/", {"older": "garbage"})

    assert response.status_code == 400
    assert "This page link is broken" in response.content.decode()


def test_other_bad_requests_say_nothing_about_the_site(client):
    response = client.get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    page = response.content.decode()
    assert "not one the site understands" in page
    assert "ALLOWED_HOSTS" not in page


def test_a_bug_is_a_500_page_that_gives_nothing_away(failing_site, admin_user):
    failing_site.force_login(admin_user)

    response = failing_site.get("/crash/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "a bug in a view" not in page
    assert "Traceback" not in page


def test_a_lost_database_is_a_503_with_retry_after(failing_site):
    response = failing_site.get("/lose-the-database/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "cannot reach its database" in response.content.decode()


def fail_session_updates(execute, sql, params, many, context):
    """The database lost just as the session is saved (the view's own work already done)."""
    if sql.lstrip().upper().startswith("UPDATE") and "django_session" in sql:
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


def test_a_database_lost_while_the_session_is_saved_is_a_503_not_a_deleted_session(
    failing_site, admin_user
):
    failing_site.force_login(admin_user)

    with connection.execute_wrapper(fail_session_updates):
        response = failing_site.get("/change-the-session/")

    # Django's own store would say 400, "the session was deleted before the request completed".
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


def test_a_session_deleted_during_the_request_is_still_a_400(failing_site, admin_user):
    failing_site.force_login(admin_user)

    def log_out_elsewhere(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("UPDATE") and "django_session" in sql:
            Session.objects.all().delete()  # another tab logged out meanwhile
        return execute(sql, params, many, context)

    with connection.execute_wrapper(log_out_elsewhere):
        response = failing_site.get("/change-the-session/")

    assert response.status_code == 400


# Served in a production child process whose database is not there at all.
VISIT_THE_FRONT_PAGE = """
import json
import django
django.setup()
from django.test import Client

response = Client(HTTP_HOST="microblog.example.com", raise_request_exception=False).get(
    "/", secure=True
)
print(json.dumps({
    "status": response.status_code,
    "retry_after": response.get("Retry-After"),
    "request_id": response.get("X-Request-ID"),
}))
"""


def unreachable_database(backend, tmp_path):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/no/such/folder/app.db"
    scheme = {"postgresql": "postgres", "mariadb": "mysql"}[backend]
    return f"{scheme}://root@127.0.0.1:{closed_port()}/microblog"


@pytest.mark.parametrize(
    "backend", ["sqlite", "postgresql", pytest.param("mariadb", marks=needs_mysqlclient)]
)
def test_with_the_database_down_every_page_is_a_503_logged_once(backend, tmp_path):
    env = production_env(
        DATABASE_URL=unreachable_database(backend, tmp_path),
        DJANGO_SETTINGS_MODULE="microblog.settings",
    )

    result = run_python("-c", VISIT_THE_FRONT_PAGE, env=env)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["status"] == 503
    assert seen["retry_after"] == "30"
    # One log line, with the request's id, method and path. On PostgreSQL, where a primary that
    # cannot be reached is a state (replicas/read_only.py), the line that says the state began
    # (and none for each request refused while it lasts); elsewhere, the 503 and its traceback.
    if backend == "postgresql":
        [line] = [line for line in result.stderr.splitlines() if " WARNING " in line]
        assert "the primary cannot take writes: pages answer 503 (connection failed:" in line
        assert " ERROR " not in result.stderr
        assert "Traceback" not in result.stderr
    else:
        [line] = [line for line in result.stderr.splitlines() if " ERROR " in line]
        assert line.endswith("Service Unavailable: /")
        assert "Traceback (most recent call last)" in result.stderr
    assert f"request_id={seen['request_id']} method=GET path=/ user_id=- " in line
