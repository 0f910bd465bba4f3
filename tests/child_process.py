"""Run the project in a child process, the way a user runs it from a shell."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# Variables that configure the project: a child process starts from none of them unless told.
# (DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it for their own process only.)
PROJECT_VARIABLES = {
    "DATABASE_URL",
    "DJANGO_ENV",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "STATIC_ROOT",
    "BEHIND_TLS_PROXY",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DATABASE_REPLICA_URLS",
    "DATABASE_POOL",
    "DATABASE_PGBOUNCER",
    "READ_YOUR_WRITES_SECONDS",
    "REPLICA_MAX_LAG_SECONDS",
    "REPLICA_RETRY_SECONDS",
    "REPLICA_CHECK_SECONDS",
    "DATABASE_TIMEOUT_SECONDS",
    "REPLICA_TIMEOUT_SECONDS",
}


def child_environment(env=None):
    """This process's environment without the project's variables, plus `env`."""
    child_env = {k: v for k, v in os.environ.items() if k not in PROJECT_VARIABLES}
    child_env.update(env or {})
    return child_env


def run_python(*args, env=None, timeout=120):
    """Run the project's Python in a child process, as a user would; returns CompletedProcess."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=child_environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
