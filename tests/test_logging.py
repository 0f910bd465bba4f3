"""Production logs to stderr: every 5xx once, with its traceback and the request's id, method,
path and user; never a password, a session id or the secret key."""

import json
import logging
import secrets

import pytest

from tests.child_process import run_python
from tests.factories import PASSWORD
from tests.test_production import production_env

# A production child process on its own SQLite file: an editor logs in through the admin's
# form, then hits a page that crashes (tests/urls_with_failures.py).
LOG_IN_THEN_CRASH = """
import json
import logging
import django
django.setup()
from django.core.management import call_command
from django.test import Client, override_settings
from accounts.models import User

call_command("migrate", verbosity=0)
mary = User.objects.create_superuser("mary", "mary@example.com", PASSWORD)
client = Client(HTTP_HOST="microblog.example.com", raise_request_exception=False)
login = client.post(
    "/admin/login/?next=/admin/", {"username": "mary", "password": PASSWORD}, secure=True
)
with override_settings(ROOT_URLCONF="tests.urls_with_failures"):
    crash = client.post("/crash/?token=s3cr3t-query", {"password": PASSWORD}, secure=True)
print(json.dumps({
    "log_level": logging.getLogger().level,
    "login": login.status_code,
    "status": crash.status_code,
    "request_id": crash["X-Request-ID"],
    "session": client.cookies["sessionid"].value,
    "user_id": mary.pk,
}))
"""


def crash_after_login(tmp_path, **env):
    secret_key = secrets.token_urlsafe(50)
    env = production_env(
        SECRET_KEY=secret_key,
        DATABASE_URL=f"sqlite:///{tmp_path}/app.db",
        DJANGO_SETTINGS_MODULE="microblog.settings",
        **env,
    )
    result = run_python("-c", f"PASSWORD = {PASSWORD!r}\n" + LOG_IN_THEN_CRASH, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr, secret_key


def test_a_500_is_logged_once_with_traceback_request_id_and_user(tmp_path):
    seen, log, _ = crash_after_login(tmp_path)

    assert seen["login"] == 302  # logged in
    assert seen["status"] == 500
    [line] = [line for line in log.splitlines() if " ERROR " in line]
    assert (
        f"ERROR django.request request_id={seen['request_id']} method=POST path=/crash/ "
        f"user_id={seen['user_id']} Internal Server Error: /crash/"
    ) in line
    assert "Traceback (most recent call last)" in log
    assert 'raise RuntimeError("a bug in a view")' in log


@pytest.mark.parametrize("debug", ["false", "true"])
def test_passwords_session_ids_and_the_secret_key_never_reach_the_log(tmp_path, debug):
    # At the most talkative level; with DEBUG on, Django would also log every SQL query with its
    # parameters (the session's key, the password's hash) if its logger let it.
    seen, log, secret_key = crash_after_login(tmp_path, LOG_LEVEL="DEBUG", DEBUG=debug)

    assert seen["status"] == 500
    assert seen["log_level"] == logging.DEBUG
    for secret in (PASSWORD, seen["session"], secret_key, "s3cr3t-query"):
        assert secret not in log


def test_an_unknown_log_level_is_one_clear_line(manage):
    result = manage("check", env={"LOG_LEVEL": "LOUD"})

    assert result.returncode == 1
    assert "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'LOUD'" in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
