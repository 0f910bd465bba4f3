"""The shell just works: `authenticate(username=…, password=…)`, as Django's docs show it, in
`manage.py shell` and `shell_plus` (no request, so django-axes' lockout stays out of it), and
`shell_plus` starts IPython. Web logins still count toward the lockout
(accounts/lockout.py; tests/test_login_lockout.py has the rest of the lockout)."""

import logging
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate

from tests.child_process import PROJECT_ROOT, child_environment, run_python
from tests.factories import PASSWORD, UserFactory
from tests.test_login_lockout import fail, log_in

# What a user types: a user made in the shell, then logged in with and without the password.
SESSION = """\
from django.contrib.auth import authenticate
User.objects.create_user("mary", "mary@example.com", "a-long-pass-phrase")
print("right:", authenticate(username="mary", password="a-long-pass-phrase"))
print("wrong:", authenticate(username="mary", password="not it"))
"""


@pytest.fixture
def migrated_sqlite(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/app.db"}
    migrated = run_python("manage.py", "migrate", "-v0", env=env)
    assert migrated.returncode == 0, migrated.stderr
    return env


@pytest.mark.parametrize("shell", ["shell", "shell_plus"])
def test_authenticate_without_a_request_works_in_the_shell(migrated_sqlite, shell):
    command = [shell, "-c", SESSION] if shell == "shell" else [shell, "--quiet-load", "-c", SESSION]
    result = run_python("manage.py", *command, env=migrated_sqlite)

    assert result.returncode == 0, result.stderr
    assert "right: mary\nwrong: None\n" in result.stdout
    assert result.stderr == ""  # nor a traceback, nor django-axes' "needs a request" ERROR


def test_shell_plus_starts_ipython(migrated_sqlite):
    typed = "import IPython\nprint('running', type(IPython.get_ipython()).__name__)\n"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell_plus", "--quiet-load"],
        cwd=PROJECT_ROOT,
        env=child_environment(migrated_sqlite),
        input=typed,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "running TerminalInteractiveShell" in result.stdout


@pytest.mark.django_db
def test_a_failed_login_without_a_request_is_not_counted_nor_logged(caplog):
    UserFactory(username="mary")

    with caplog.at_level(logging.INFO):
        assert authenticate(username="mary", password="wrong") is None
        assert authenticate(username="mary", password=PASSWORD).username == "mary"

    assert not AccessAttempt.objects.exists()
    assert caplog.records == []


@pytest.mark.django_db
def test_web_logins_still_lock_while_the_shell_still_logs_in(client, settings):
    UserFactory(username="mary", is_staff=True)

    # Through the web, every failure counts, and the limit locks the username out ...
    limit = settings.LOGIN_FAILURE_LIMIT
    assert fail(client, limit) == [200] * (limit - 1) + [429]
    assert log_in(client, "mary", PASSWORD, address="198.51.100.1").status_code == 429
    # ... while someone at the server's shell, who could change the password anyway, is not.
    assert authenticate(username="mary", password=PASSWORD).username == "mary"
    # A success in the shell is no web login: it does not lift the web's lockout.
    assert log_in(client, "mary", PASSWORD, address="198.51.100.2").status_code == 429
