"""Run the whole test suite once per database backend, then once on the newest Django.

    python scripts/test_matrix.py backends   # SQLite, PostgreSQL, MariaDB, then PostgreSQL with
                                             # a streaming replica of its own (make test-all)
    python scripts/test_matrix.py newest     # newest Django on the newest Python (make test-newest)

Each run ends with one line per run: `<name>: N passed, N failed, N skipped`. A server that is not
reachable is skipped with a loud message, except under CI=true, where every backend must run.
Set MATRIX_POSTGRES_URL / MATRIX_MARIADB_URL to test other servers or database names.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = {
    "sqlite": "",  # empty: the settings' default, a SQLite file
    "postgresql": os.environ.get(
        "MATRIX_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/microblog"
    ),
    "mariadb": os.environ.get("MATRIX_MARIADB_URL", "mysql://root@127.0.0.1:3306/microblog"),
}
NEWEST_VENV = ROOT / ".venv-newest"
# As `make test`: a worker per CPU and one more (pytest-xdist), each with its own test databases
# named test_<name>_gw0, _gw1, ...; a file's tests on one worker. Here the slow tests run too.
PARALLEL = [
    "-n",
    os.environ.get("TEST_WORKERS", str((os.cpu_count() or 1) + 1)),
    "--dist",
    "loadfile",
]


def unreachable(url: str, wait: float = 20) -> str | None:
    """None when the server answers (a just-started one gets `wait` seconds), else why not."""
    parts = urlsplit(url)
    port = parts.port or (3306 if parts.scheme == "mysql" else 5432)  # the drivers' defaults
    deadline = time.monotonic() + wait
    while True:
        try:
            socket.create_connection((parts.hostname, port), timeout=3).close()
            return None
        except OSError as exc:
            if time.monotonic() > deadline:
                return f"{parts.hostname}:{port} ({exc})"
            time.sleep(1)


# Tests that start database servers of their own and ignore DATABASE_URL: the SQLite run has them;
# run again on each server they would prove nothing more, in about 90 s each time.
OWN_SERVERS_ONLY = [
    "tests/test_worker_outage.py",
    "tests/test_database_deadline.py",
    "tests/test_read_only_mode.py",
]
ONCE_IS_ENOUGH = [f"--ignore={path}" for path in OWN_SERVERS_ONLY]


def run_pytest(
    python: str | Path,
    database_url: str,
    extra_args: Sequence[str] = (),
    replica_url: str | None = None,
) -> tuple[int, int, int]:
    """Run the suite; return (passed, failed, skipped) from its JUnit report."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_REPLICA_URLS")
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    if replica_url:
        env["DATABASE_REPLICA_URLS"] = replica_url
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.xml"
        command = [
            str(python),
            "-m",
            "pytest",
            "-q",
            *PARALLEL,
            f"--junitxml={report}",
            *extra_args,
        ]
        returncode = subprocess.run(command, cwd=ROOT, env=env).returncode
        if not report.exists():
            return 0, 1, 0  # pytest died before reporting: count it as a failure
        # The report's root, or its first child: <testsuites><testsuite ...>.
        suite = next(ET.parse(report).getroot().iter("testsuite")).attrib
        total, skipped = int(suite["tests"]), int(suite["skipped"])
        failed = int(suite["failures"]) + int(suite["errors"])
        if returncode != 0 and failed == 0:
            failed = 1  # e.g. no tests collected (exit 5) or an internal error
        return total - failed - skipped, failed, skipped


def backends() -> bool:
    results: list[str] = []
    ok = True
    for name, url in BACKENDS.items():
        print(f"\n===== {name}: {url or 'SQLite (default)'} =====", flush=True)
        why = url and unreachable(url)
        if why:
            print(f"!!!!! {name} NOT TESTED: its server is not reachable at {why}", flush=True)
            results.append(f"{name}: NOT TESTED, server unreachable at {why}")
            ok = ok and not os.environ.get("CI")  # CI has every server: absence is a failure
            continue
        passed, failed, skipped = run_pytest(sys.executable, url, ONCE_IS_ENOUGH if url else [])
        results.append(f"{name}: {passed} passed, {failed} failed, {skipped} skipped")
        ok = ok and failed == 0 and passed > 0
    result, replica_ok = with_replica()
    results.append(result)
    ok = ok and replica_ok
    print("\n===== backends =====")
    print("\n".join(results))
    return ok


def with_replica() -> tuple[str, bool]:
    """The suite on a private PostgreSQL primary with a streaming standby as DATABASE_REPLICA_URLS:
    (its summary line, whether it passed). The test database is created on the primary and
    streams to the standby; the standby applies each commit before it returns, so a test that
    writes and then reads a public page from the standby sees its rows."""
    sys.path.insert(0, str(ROOT))
    from tests import private_postgres

    name = "postgresql+replica"
    bindir = private_postgres.server_programs()
    if bindir is None:
        print(f"!!!!! {name} NOT TESTED: {private_postgres.MISSING_PROGRAMS}", flush=True)
        return f"{name}: NOT TESTED, no PostgreSQL server programs", not os.environ.get("CI")
    folder, primary, standby = private_postgres.start_primary_and_standby(bindir, synchronous=True)
    try:
        url, replica_url = primary.url("microblog"), standby.url("microblog")
        print(f"\n===== {name}: {url}, replica {replica_url} =====", flush=True)
        # --reuse-db keeps the test database (the cluster is new, so it starts empty), and
        # with it the standby's count of the transactions it served there.
        passed, failed, skipped = run_pytest(
            sys.executable, url, ["--reuse-db", *ONCE_IS_ENOUGH], replica_url=replica_url
        )
        # Every worker's test database: test_microblog_gw0, _gw1, ...
        served = "SELECT xact_commit FROM pg_stat_database WHERE datname LIKE %s"
        time.sleep(1.1)  # statistics reach pg_stat_database up to a second after a transaction
        # 0 if pytest made no database.
        reads = sum(count for (count,) in standby.sql(served, ("test\\_microblog%",)))
    finally:
        for server in (standby, primary):
            server.stop(mode="immediate")
        folder.remove()
    summary = f"{name}: {passed} passed, {failed} failed, {skipped} skipped"
    # A run whose public pages never reached the standby would prove nothing about it.
    ok = failed == 0 and passed > 0 and reads > 0
    return f"{summary}; the standby served {reads} transactions of the suite", ok


def newest_python() -> str | None:
    """The newest Python 3.12+ here: on PATH, or kept by pyenv beside the default one."""
    for version in ("3.14", "3.13", "3.12"):
        found = shutil.which(f"python{version}")
        if found and subprocess.run([found, "-c", ""], capture_output=True).returncode == 0:
            return found
        pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
        kept = sorted(glob.glob(f"{pyenv_root}/versions/{version}*/bin/python{version}"))
        if kept:
            return kept[-1]
    return None


def newest() -> bool:
    python = newest_python()
    if python is None:
        print("!!!!! newest NOT TESTED: no Python 3.12+ found (Django 6 needs one)")
        return not os.environ.get("CI")
    venv_python = NEWEST_VENV / "bin" / "python"
    if not venv_python.exists():
        subprocess.run([python, "-m", "venv", str(NEWEST_VENV)], check=True)
    pip = [str(venv_python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", "requirements-dev.txt"], cwd=ROOT, check=True)
    # Everything as pinned, except Django: the newest release there is.
    subprocess.run([*pip, "--upgrade", "Django"], cwd=ROOT, check=True)
    versions = subprocess.run(
        [
            str(venv_python),
            "-c",
            "import django, platform; "
            "print(f'Django {django.get_version()}, Python {platform.python_version()}')",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"\n===== newest: {versions}, SQLite =====", flush=True)
    # pyproject.toml already turns deprecation warnings into errors.
    passed, failed, skipped = run_pytest(venv_python, "")
    print(f"\n===== newest: {versions} =====")
    print(f"newest: {passed} passed, {failed} failed, {skipped} skipped")
    return failed == 0 and passed > 0


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "backends"
    runs = {"backends": backends, "newest": newest}
    if mode not in runs:
        sys.exit(f"usage: {sys.argv[0]} [backends|newest]")
    sys.exit(0 if runs[mode]() else 1)
