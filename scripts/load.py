"""Load on loopback: `make serve` (gunicorn, 4 workers, production settings) on a fresh database,
hit by a bounded mix of public-page reads and admin post creations, 8 at a time.

    python scripts/load.py                # SQLite, PostgreSQL, and PostgreSQL with a streaming
                                          # replica: 2,000 requests each (make load)
    python scripts/load.py --quick        # 200 requests each: a smoke run for CI (make load-quick)
    python scripts/load.py --backends sqlite --requests 500 --concurrency 4
    python scripts/load.py --backends postgresql replica --results docs/data/load-standby.json

It fails unless every request got its expected answer (no 5xx, no CSRF refusals) and the database
holds exactly as many posts as creations succeeded. Results: docs/load.md. The PostgreSQL
database (LOAD_POSTGRES_URL, default .../microblog_load) is dropped and created afresh; the
replica run starts its own primary and standby in a temporary folder (docs/scale-out.md), and
its reads come from visitors without cookies, as the public's do. `--results FILE` also writes
each backend's throughput and latencies as JSON (docs/data/load.json's form, which `make plots`
draws).
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import psycopg

if TYPE_CHECKING:
    from tests.private_postgres import Folder, PostgresServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' private PostgreSQL pair, for the replica run
PYTHON = sys.executable
POSTGRES_URL = os.environ.get(
    "LOAD_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/microblog_load"
)
USERNAME, PASSWORD = "loadtester", secrets.token_urlsafe(16)
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# What each step must answer; anything else (a 5xx, a 403 from CSRF) fails the run.
EXPECTED = {"GET /": 200, "GET add form": 200, "POST add form": 302}
# One request: (step, status, seconds taken).
Step = tuple[str, int, float]
# The replica run's private servers: (their folder, the primary, the standby).
Pair = tuple["Folder", "PostgresServer", "PostgresServer"]


class Browser:
    """Just enough of a browser for the admin: cookies, CSRF, and the headers that a TLS proxy in
    front of gunicorn would add (production settings redirect plain HTTP to HTTPS)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> tuple[int, str | None, str, float]:
        """(status, Location header, body text, seconds taken). `files`: field name to (file
        name, content), sent with the form as multipart/form-data (an upload)."""
        headers = {
            "X-Forwarded-Proto": "https",
            "Origin": self.origin,
            "Referer": self.origin + path,
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }
        body: str | bytes | None = None
        if files is not None:
            boundary = secrets.token_hex(16)
            body = multipart(form or {}, files, boundary)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            seconds = time.perf_counter() - started
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.getheader("Location"), text, seconds

    def log_in(self) -> None:
        status, _, page, _ = self.request("GET", "/admin/login/")
        form = {"csrfmiddlewaretoken": csrf_token(page), "username": USERNAME, "password": PASSWORD}
        status, location, _, _ = self.request("POST", "/admin/login/?next=/admin/", form)
        if status != 302 or location != "/admin/":
            sys.exit(f"error: the admin login failed ({status}, {location})")


def multipart(form: dict[str, str], files: dict[str, tuple[str, bytes]], boundary: str) -> bytes:
    """A form with files, encoded as a browser sends an upload (RFC 7578)."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in form.items()
    ]
    for name, (file_name, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def csrf_token(page: str) -> str:
    """The token in a form's page; the run stops on a page without one."""
    found = CSRF_TOKEN.search(page)
    if found is None:
        sys.exit("error: a form's page has no CSRF token")
    return found.group(1)


def create_post(browser: Browser, author_id: str, number: int) -> tuple[list[Step], bool]:
    """An editor's visit: open the add form, then send it; (step, status, seconds) per request."""
    status, _, page, seconds = browser.request("GET", "/admin/blog/post/add/")
    steps = [("GET add form", status, seconds)]
    if status != 200:
        return steps, False
    now = datetime.now(UTC)
    form = {
        "csrfmiddlewaretoken": csrf_token(page),
        "body": f"load test post {number}",
        "author": author_id,
        "timestamp_0": now.strftime("%Y-%m-%d"),
        "timestamp_1": now.strftime("%H:%M:%S"),
        "_save": "Save",
    }
    status, location, _, seconds = browser.request("POST", "/admin/blog/post/add/", form)
    steps.append(("POST add form", status, seconds))
    return steps, status == 302 and location == "/admin/blog/post/"


def run_load(
    browser: Browser,
    author_id: str,
    requests: int,
    concurrency: int,
    reader: Browser | None = None,
) -> tuple[list[Step], int, float]:
    """`reader`: the browser that reads the public page (by default the editor's own)."""
    reader = reader or browser
    # Each creation is two requests (form, then post); a quarter of the visits are creations.
    creations = requests // 4
    visits = ["read"] * (requests - 2 * creations) + ["create"] * creations
    random.Random(0).shuffle(visits)

    def visit(numbered: tuple[int, str]) -> tuple[list[Step], bool]:
        number, kind = numbered
        if kind == "read":
            status, _, _, seconds = reader.request("GET", "/")
            return [("GET /", status, seconds)], False
        return create_post(browser, author_id, number)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(visit, enumerate(visits)))
    wall = time.perf_counter() - started
    steps = [step for visit_steps, _ in results for step in visit_steps]
    created = sum(ok for _, ok in results)
    return steps, created, wall


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"error: manage.py {args[0]} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def fresh_postgres_database(url: str, drop_only: bool = False) -> str | None:
    """Drop the load database and (unless drop_only) create it empty; None, or why not."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        return " ".join(str(exc).split())
    return None


def start_server(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`make serve` on a free port; returns (process, port) once gunicorn listens."""
    with open(log_path, "w") as log:  # the server keeps its own copy of the file handle
        process = subprocess.Popen(
            ["make", "--no-print-directory", "serve", "BIND=127.0.0.1:0"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop_server ends make and gunicorn
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = Path(log_path).read_text()
        listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
        if listening and text.count("Booting worker") >= 4:
            return process, int(listening.group(1))
        if process.poll() is not None:
            sys.exit(f"error: the server stopped before listening:\n{text}")
        time.sleep(0.2)
    stop_server(process)
    sys.exit(f"error: the server did not start in 120 s:\n{Path(log_path).read_text()}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def percentile_ms(seconds: list[float], quantile: int) -> int:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return round(cuts[quantile - 1] * 1000)


def milliseconds(seconds: list[float], quantile: int) -> str:
    return f"{percentile_ms(seconds, quantile)} ms"


def figures(steps: list[Step], wall: float) -> dict[str, Any]:
    """One backend's throughput and latencies as docs/data/load.json holds them."""
    kinds = {"every request": [s for _, _, s in steps]}
    kinds |= {step: [s for kind, _, s in steps if kind == step] for step in EXPECTED}
    return {
        "requests per second": round(len(steps) / wall),
        "ms": {
            kind: {f"p{q}": percentile_ms(seconds, q) for q in (50, 99)}
            for kind, seconds in kinds.items()
        },
    }


def write_results(path: Path, found: dict[str, dict[str, Any]]) -> None:
    labels = {
        "sqlite": "SQLite",
        "postgresql": "PostgreSQL",
        "postgresql+replica": "PostgreSQL + standby",
    }
    results = {
        "shows": "the production server under load on loopback: latency per kind of request,"
        " per backend",
        "source": "written by scripts/load.py --results",
        "measured": datetime.now(UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "command": "python scripts/load.py " + " ".join(sys.argv[1:]),
        "requests per second": {labels[b]: f["requests per second"] for b, f in found.items()},
        "ms": {labels[backend]: found[backend]["ms"] for backend in found},
    }
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def report(name: str, steps: list[Step], created: int, rows: int, wall: float) -> bool:
    statuses = Counter(status for _, status, _ in steps)
    all_seconds = [seconds for _, _, seconds in steps]
    print(
        f"{name}: {len(steps)} requests in {wall:.1f} s = {len(steps) / wall:.0f} requests/s, "
        f"p50 {milliseconds(all_seconds, 50)}, p99 {milliseconds(all_seconds, 99)}; "
        f"statuses {dict(sorted(statuses.items()))}; {created} posts created, {rows} rows"
    )
    for step in EXPECTED:
        seconds = [s for kind, _, s in steps if kind == step]
        print(
            f"  {step:13} {len(seconds):5} requests, "
            f"p50 {milliseconds(seconds, 50)}, p99 {milliseconds(seconds, 99)}"
        )
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    unexpected = [(kind, status) for kind, status, _ in steps if status != EXPECTED[kind]]
    problems = []
    if server_errors:
        problems.append(f"{server_errors} server errors (5xx)")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected answers, e.g. {unexpected[:3]}")
    if rows != created:
        problems.append(f"{rows} rows in the database but {created} successful creations")
    for problem in problems:
        print(f"  FAILED: {problem}")
    return not problems


def load_backend(
    name: str,
    database_url: str,
    args: argparse.Namespace,
    workdir: Path,
    found: dict[str, dict[str, Any]],
    replica_url: str | None = None,
    pair: Pair | None = None,
) -> bool:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env |= {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        # The load client plays the TLS proxy: it sends X-Forwarded-Proto: https.
        "BEHIND_TLS_PROXY": "true",
        "STATIC_ROOT": str(workdir / "static"),
    }
    if replica_url:
        env["DATABASE_REPLICA_URLS"] = replica_url
    process, port = start_server(env, workdir / f"{name}-server.log")  # it migrates first
    try:
        create_staff = (
            "from accounts.models import User; "
            f"print(User.objects.create_superuser({USERNAME!r}, 'load@example.com', "
            f"{PASSWORD!r}).pk)"
        )
        author_id = manage(env, "shell", "-v0", "-c", create_staff)
        browser = Browser(port)
        browser.log_in()
        reader = Browser(port) if replica_url else None
        before = transactions(pair) if pair else (0, 0)
        steps, created, wall = run_load(
            browser, author_id, args.requests, args.concurrency, reader=reader
        )
    finally:
        stop_server(process)
    # Counted once the workers have gone: a PostgreSQL backend reports its transactions at exit
    # or after some idle seconds, so a short run counted while they live shows almost none.
    after = transactions(pair) if pair else (0, 0)
    rows = int(
        manage(
            env, "shell", "-v0", "-c", "from blog.models import Post; print(Post.objects.count())"
        )
    )
    ok = report(name, steps, created, rows, wall)
    found[name] = figures(steps, wall)
    if pair:
        primary, standby = (after[i] - before[i] for i in (0, 1))
        print(f"  transactions during the run: primary {primary}, standby {standby}")
        wait_until_replayed(pair)
        (replica_rows,) = pair[2].sql("SELECT count(*) FROM blog_post", database="microblog")[0]
        print(f"  the standby holds {replica_rows} posts once it has caught up")
        if standby == 0 or replica_rows != rows:
            print("  FAILED: the standby served no reads, or does not hold every post")
            ok = False
    return ok


def transactions(pair: Pair) -> tuple[int, int]:
    """Transactions committed so far in the app's database: (on the primary, on the standby)."""
    query = "SELECT xact_commit FROM pg_stat_database WHERE datname = 'microblog'"
    # Statistics reach pg_stat_database up to a second after a transaction ends.
    time.sleep(1.1)
    return tuple(server.sql(query)[0][0] for server in pair[1:])


def wait_until_replayed(pair: Pair) -> None:
    (target,) = pair[1].sql("SELECT pg_current_wal_lsn()")[0]
    deadline = time.monotonic() + 30
    while not pair[2].sql("SELECT pg_last_wal_replay_lsn() >= %s", (target,))[0][0]:
        if time.monotonic() > deadline:
            sys.exit("error: the standby did not catch up in 30 s")
        time.sleep(0.1)


def load_with_replica(
    args: argparse.Namespace, workdir: Path, found: dict[str, dict[str, Any]]
) -> bool | None:
    """PostgreSQL with a streaming standby of its own; None when PostgreSQL's server programs are
    not installed."""
    from tests import private_postgres

    bindir = private_postgres.server_programs()
    if bindir is None:
        return None
    folder, primary, standby = private_postgres.start_primary_and_standby(bindir)
    try:
        primary.sql("CREATE DATABASE microblog")
        pair = (folder, primary, standby)
        return load_backend(
            "postgresql+replica",
            primary.url("microblog"),
            args,
            workdir,
            found,
            replica_url=standby.url("microblog"),
            pair=pair,
        )
    finally:
        standby.stop(mode="immediate")
        primary.stop(mode="immediate")
        folder.remove()


def main() -> bool:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 requests: a smoke run")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=["sqlite", "postgresql", "replica"],
        default=["sqlite", "postgresql", "replica"],
    )
    parser.add_argument(
        "--results", type=Path, help="write the figures as JSON (docs/data/load.json, make plots)"
    )
    args = parser.parse_args()
    if args.quick:
        args.requests = 200
    print(
        f"{args.requests} requests per backend, {args.concurrency} at a time, "
        f"gunicorn with 4 workers, {os.cpu_count()} CPUs",
        flush=True,
    )

    ok = True
    found: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="microblog-load-") as tmp:
        workdir = Path(tmp)
        for name in args.backends:
            if name == "sqlite":
                sqlite_url = f"sqlite:///{workdir / 'load.db'}"
                ok = load_backend(name, sqlite_url, args, workdir, found) and ok
                continue
            if name == "replica":
                result = load_with_replica(args, workdir, found)
                if result is None:
                    missing = "PostgreSQL's server programs are not installed"
                    print(f"!!!!! postgresql+replica NOT TESTED: {missing}")
                ok = ok and (result if result is not None else not os.environ.get("CI"))
                continue
            why = fresh_postgres_database(POSTGRES_URL)
            if why:
                print(f"!!!!! postgresql NOT TESTED: cannot prepare {POSTGRES_URL}: {why}")
                ok = ok and not os.environ.get("CI")  # CI has PostgreSQL: absence is a failure
                continue
            try:
                ok = load_backend(name, POSTGRES_URL, args, workdir, found) and ok
            finally:
                fresh_postgres_database(POSTGRES_URL, drop_only=True)
    if args.results:
        write_results(args.results, found)
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
