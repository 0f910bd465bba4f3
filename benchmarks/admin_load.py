"""python -m benchmarks.admin_load [--sizes 10000,1000000] [--requests 400] [--concurrency 8]

Each admin's post list under load (docs/admin-contrast.md): Django's admin served by `make serve`
(gunicorn, 4 workers, production settings), and the Flask twin's Flask-Admin as documented and
hardened served by gunicorn with the same 4 workers, on the same PostgreSQL database that
`python -m benchmarks.admin_contrast --backends postgresql --posts N` seeds and keeps. A logged-in
editor's first page of the post list, `--requests` times, `--concurrency` at a time, on
loopback: requests per second, the median and 99th percentile. Exits 1 on any answer but 200.
"""

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.admin_contrast import EDITOR, PASSWORD, SIDES, database_url, sqlalchemy_url
from scripts.load import Browser, csrf_token, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4  # make serve's
POST_LIST = {SIDES[0]: "/admin/blog/post/", SIDES[1]: "/admin/post/", SIDES[2]: "/admin/post/"}
FLASK_APPS = {
    SIDES[1]: "contrast.flask_app_2024.admin.documented:create_app()",
    SIDES[2]: "contrast.flask_app_2024.admin.hardened:create_app()",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.admin_load")
    parser.add_argument("--sizes", default="10000,1000000", help="posts, comma-separated")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    args.sizes = [int(size) for size in args.sizes.split(",")]
    return args


def prepared(posts: int) -> str:
    """The kept PostgreSQL database at this size, seeded and copied for both sides."""
    url = database_url("postgresql", posts)
    command = [sys.executable, "-m", "benchmarks.admin_contrast", "--prepare"]
    command += ["--posts", str(posts)]
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false"}
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return url


def serve_flask(side: str, url: str, log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn with the twin's admin on a free port; returns (process, port) once it listens."""
    env = {**os.environ, "DATABASE_URL": sqlalchemy_url(url), "SECRET_KEY": secrets.token_hex()}
    command = [str(Path(sys.executable).parent / "gunicorn"), FLASK_APPS[side]]
    command += ["--workers", str(WORKERS), "--bind", "127.0.0.1:0", "--no-control-socket"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_path.read_text()
        listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
        if listening and text.count("Booting worker") >= WORKERS:
            return process, int(listening.group(1))
        if process.poll() is not None:
            sys.exit(f"error: gunicorn stopped before listening:\n{text}")
        time.sleep(0.2)
    stop_server(process)
    sys.exit(f"error: gunicorn did not start in 60 s:\n{log_path.read_text()}")


def log_in(side: str, browser: Browser) -> None:
    """The editor's session: Django's login form, the hardened twin's (none as documented)."""
    if side == SIDES[1]:
        return
    _, _, page, _ = browser.request("GET", "/admin/login/")
    if side == SIDES[0]:
        form = {"csrfmiddlewaretoken": csrf_token(page)}
    else:  # Flask-WTF's hidden field
        form = {
            "csrf_token": page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        }
    form |= {"username": EDITOR, "password": PASSWORD}
    status, _, _, _ = browser.request("POST", "/admin/login/", form)
    if status != 302:
        sys.exit(f"error: {side}: the login answered {status}")


def hammer(browser: Browser, path: str, args: argparse.Namespace) -> dict[str, float]:
    """`requests` GETs of `path`, `concurrency` at a time: requests/s, p50 and p99 in ms."""
    for _ in range(WORKERS * 2):  # each worker's first render (imports, templates) left out
        browser.request("GET", path)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        answers = list(pool.map(lambda _: browser.request("GET", path), range(args.requests)))
    wall = time.perf_counter() - started
    failed = [status for status, *_ in answers if status != 200]
    if failed:
        sys.exit(f"error: {path}: {len(failed)} answers were not 200, e.g. {failed[:3]}")
    cuts = statistics.quantiles([seconds for *_, seconds in answers], n=100, method="inclusive")
    return {
        "requests/s": args.requests / wall,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
        "load": os.getloadavg()[0],
    }


def main() -> None:
    args = parse_args()
    results: dict[int, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="admin-load-") as name:
        folder = Path(name)
        for posts in args.sizes:
            url = prepared(posts)
            results[posts] = {}
            for side in SIDES:
                log_path = folder / f"{posts}-{side.split()[-1]}.log"
                if side == SIDES[0]:
                    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
                    env |= {
                        "DJANGO_ENV": "production",
                        "SECRET_KEY": secrets.token_urlsafe(50),
                        "ALLOWED_HOSTS": "127.0.0.1",
                        "DATABASE_URL": url,
                        # The load client plays the TLS proxy: it sends X-Forwarded-Proto.
                        "BEHIND_TLS_PROXY": "true",
                        "STATIC_ROOT": str(folder / "static"),
                    }
                    process, port = start_server(env, log_path)
                else:
                    process, port = serve_flask(side, url, log_path)
                try:
                    browser = Browser(port)
                    log_in(side, browser)
                    results[posts][side] = hammer(browser, POST_LIST[side], args)
                finally:
                    stop_server(process)
                print(f"{posts:,} posts, {side}: {results[posts][side]}", file=sys.stderr)
    print(
        "\n| posts | admin | requests/s | median | 99th percentile | load average |\n"
        "|---:|---|---:|---:|---:|---:|"
    )
    for posts, by_side in results.items():
        for side, figures in by_side.items():
            print(
                f"| {posts:,} | {side} | {figures['requests/s']:.0f} | {figures['p50']:.0f} ms "
                f"| {figures['p99']:.0f} ms | {figures['load']:.1f} |"
            )


if __name__ == "__main__":
    main()
