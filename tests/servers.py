"""The database servers on this machine, for tests that need one whatever DATABASE_URL says."""

import importlib.util
import os
import socket

import pytest

POSTGRES = {"name": "PostgreSQL", "host": "127.0.0.1", "port": 5432, "user": "postgres"}
MARIADB = {"name": "MariaDB", "host": "127.0.0.1", "port": 3306, "user": "root"}


# Tests that reach MariaDB through Django or the importer need its driver, which only
# `make mysql-driver` installs (the README's test command does not; CI's matrix does).
needs_mysqlclient = pytest.mark.skipif(
    importlib.util.find_spec("MySQLdb") is None,
    reason="SKIPPED, NOT TESTED: mysqlclient is not installed (make mysql-driver)",
)


def require(server):
    """Skip, loudly, when the server is truly not there; in CI, where it must be, fail instead."""
    try:
        socket.create_connection((server["host"], server["port"]), timeout=2).close()
    except OSError as exc:
        message = f"{server['name']} is not running at {server['host']}:{server['port']} ({exc})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}, but CI must test every backend")
        pytest.skip(f"SKIPPED, NOT TESTED: {message}")


def closed_port():
    """A loopback port nothing listens on (bound for a moment, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
