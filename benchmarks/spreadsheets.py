"""python -m benchmarks.spreadsheets [--quick] [--backends …] [--posts N] [--export-sizes …]

Import and export through the admin, against `seed_demo`, on each backend (docs/performance.md):

- import: N posts (100,000) exported from the admin as CSV without their ids, the posts deleted,
  then the file uploaded, checked by the task worker, confirmed and written by it, all timed end
  to end against `seed_demo` writing the same number of posts on the same database. The longest
  request is reported too (gunicorn's timeout is 30 s).
- export: one export of every post, in a fresh process, at each size (10,000 and 1,000,000), for
  CSV, JSON and XLSX: its time and peak memory (the process's max RSS). Up to
  EXPORT_STREAMED_MAX_ROWS (20,000) posts it streams in the request; above, the request queues
  it, the task worker writes the file (run here, in the same process, so its memory counts) and
  the file is downloaded: the time is end to end, and the longest request is reported too.

Times and memory are printed, never judged. `--results DIR` also puts them into
DIR/spreadsheets-import.json and DIR/spreadsheets-export.json (docs/data/, which `make plots`
draws): each backend's last import and exports replaced, its import / seed_demo ratio added to its
runs. Each backend runs on a database made for the run: a
temporary SQLite file, BENCH_DATABASE (microblog_spreadsheets_bench) on PostgreSQL and MariaDB.
"""

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.pages import LABELS, fresh_database

if TYPE_CHECKING:
    from django.http.response import HttpResponseBase
    from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
DATABASE = os.environ.get("BENCH_DATABASE", "microblog_spreadsheets_bench")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spreadsheets")
    parser.add_argument("--backends", default="sqlite,postgresql,mariadb")
    parser.add_argument("--posts", type=int, default=100_000, help="posts imported")
    parser.add_argument(
        "--export-sizes", default="10000,1000000", help="posts, comma-separated; empty: none"
    )
    parser.add_argument("--formats", default="csv,json,xlsx")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2,000 posts; exports at 1k (streamed) and 5k (by the worker)",
    )
    parser.add_argument(
        "--results", type=Path, help="folder of the JSON results to update (docs/data, make plots)"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.posts, args.export_sizes = 2_000, "1000,5000"
    args.export_sizes = [int(size) for size in args.export_sizes.split(",") if size]
    return args


# ---- children: one step each, in a process of its own ----


def setup_django() -> "Client":
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User

    setup_test_environment()  # the test client's response.streaming_content, no email sent
    editor, _ = User.objects.get_or_create(
        username="bench_editor", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(editor)
    return client


def seed(posts: int) -> float:
    """seed_demo's time for `posts` posts by 1,000 demo users (made first, untimed)."""
    from django.core.management import call_command

    from blog.demo_data import demo_users

    if not demo_users().exists():
        call_command("seed_demo", "--users", "1000", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", "--posts", str(posts), verbosity=0)
    return time.perf_counter() - started


def run_worker() -> None:
    """The task worker, in this process, until the queue is empty."""
    from django.core.management import call_command

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


class Timed:
    """The admin's test client, with the time of each request kept."""

    def __init__(self, client: "Client") -> None:
        self.client, self.requests = client, list[float]()

    def __call__(self, method: str, url: str, **data: Any) -> "HttpResponseBase":
        started = time.perf_counter()
        response = getattr(self.client, method)(url, data)
        self.requests.append(time.perf_counter() - started)
        return response


def exported(request: Timed, file_format: str) -> bytes:
    """The file of every post exported from the admin."""
    return b"".join(export_chunks(request, file_format))


def export_chunks(request: Timed, file_format: str) -> Iterator[bytes]:
    """Every post exported from the admin, a chunk at a time: streamed, or written by the
    worker and downloaded."""
    from django.http import StreamingHttpResponse
    from django.urls import reverse

    from spreadsheets.models import Export

    response = request("get", reverse("admin:blog_post_export", args=[file_format]))
    if response.status_code == 302:  # too long to stream: written in the background
        run_worker()
        job = Export.objects.latest("pk")
        assert job.state == Export.State.DONE, (job.state, job.error)
        request("get", response["Location"])
        response = request("get", reverse("admin:blog_post_export_download", args=[job.pk]))
    assert isinstance(response, StreamingHttpResponse), response.status_code
    return iter(response.streaming_content)  # type: ignore[arg-type]  # bytes, never async here


def child_import(posts: int) -> dict[str, float]:
    """seed_demo's time for `posts`, then the same posts through the admin's import."""
    client = setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.urls import reverse

    from blog.models import Post
    from spreadsheets.models import Import

    seed_seconds = seed(posts)
    rows = csv.reader(io.StringIO(exported(Timed(client), "csv").decode("utf-8-sig")))
    without_ids = io.StringIO()
    csv.writer(without_ids).writerows(row[1:] for row in rows)
    Post.objects.all().delete()
    if connection.vendor == "postgresql":
        # seed_demo wrote into an empty table; without this the import would write into one
        # holding 100,000 dead rows and their index entries, until autovacuum came round.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Post._meta.db_table}")

    request = Timed(client)
    started = time.perf_counter()
    upload = SimpleUploadedFile("posts.csv", without_ids.getvalue().encode())
    request("post", reverse("admin:blog_post_import"), file=upload)
    job = Import.objects.latest("pk")
    status = reverse("admin:blog_post_import_status", args=[job.pk])
    checking = time.perf_counter()
    run_worker()
    checked = time.perf_counter() - checking
    request("get", status)
    request("post", status)
    writing = time.perf_counter()
    run_worker()
    written = time.perf_counter() - writing
    request("get", status)
    total = time.perf_counter() - started
    job.refresh_from_db()
    assert (job.state, job.new) == ("done", posts), (job.state, job.new, job.problems[:3])
    return {
        "seed_demo": seed_seconds,
        "import": total,
        "check": checked,
        "write": written,
        "longest request": max(request.requests),
    }


def child_export(file_format: str) -> dict[str, float]:
    """One export of every post; this process's peak memory and the time it took."""
    request = Timed(setup_django())
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in export_chunks(request, file_format))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB → MiB on Linux
    return {
        "seconds": seconds,
        "peak MiB": peak,
        "file MiB": size / 2**20,
        "longest request": max(request.requests),
        "background": len(request.requests) > 1,
    }


def child_seed(posts: int) -> dict[str, float]:
    setup_django()
    from blog.models import Post

    if Post.objects.count() > posts:  # the import's posts, more than the smallest export's
        Post.objects.all().delete()
    return {"seconds": seed(posts - Post.objects.count())}


# ---- the parent: a database per backend, children in turn ----


def run_child(env: dict[str, str], *step: object) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.spreadsheets", "--child", *map(str, step)]
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, step))} failed (see above)")
    return json.loads(done.stdout.splitlines()[-1])  # after anything seed_demo printed


def run_backend(backend: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Prints the backend's figures; returns them: the import's, and each format's exports."""
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database(backend, folder, DATABASE),
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "microblog.settings",
        "IMPORT_UPLOAD_DIR": str(folder / "imports"),
        "EXPORT_DIR": str(folder / "exports"),
    }
    if args.quick:  # its 5,000-post export goes through the worker as a million posts do
        env["EXPORT_STREAMED_MAX_ROWS"] = "2000"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    print(f"\n### {backend}\n")
    result = run_child(env, "import", args.posts)
    print(
        f"import of {args.posts:,} posts from CSV: {result['import']:.1f} s end to end "
        f"(check {result['check']:.1f} s, write {result['write']:.1f} s), against "
        f"seed_demo's {result['seed_demo']:.1f} s: {result['import'] / result['seed_demo']:.2f}×; "
        f"longest request {result['longest request']:.2f} s"
    )
    figures: dict[str, Any] = {"import": result, "exports": {}}
    if not args.export_sizes:
        return figures
    print(f"\n| export | {' | '.join(f'{size:,} posts' for size in args.export_sizes)} |")
    print(f"|---|{'---|' * len(args.export_sizes)}")
    lines: dict[str, list[str]] = {file_format: [] for file_format in args.formats.split(",")}
    for size in args.export_sizes:
        run_child(env, "seed", size)
        for file_format in lines:
            export = run_child(env, "export", file_format)
            figures["exports"].setdefault(file_format, []).append(export)
            how = "worker" if export["background"] else "streamed"
            lines[file_format].append(
                f"{export['peak MiB']:.0f} MiB peak, {export['seconds']:.1f} s {how}, "
                f"{export['file MiB']:.0f} MiB file, longest request "
                f"{export['longest request']:.2f} s"
            )
    for file_format, cells in lines.items():
        print(f"| {file_format.upper()} | {' | '.join(cells)} |")
    return figures


def write_results(
    folder: Path, figures: dict[str, dict[str, Any]], args: argparse.Namespace
) -> None:
    """Each backend's figures into the results docs/data/ keeps (the other backends' are kept)."""
    run = {
        "measured": time.strftime("%Y-%m-%d", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "command": "python -m benchmarks.spreadsheets " + " ".join(sys.argv[1:]),
        "source": "written by python -m benchmarks.spreadsheets --results (a backend left out of"
        " a run keeps its earlier figures)",
    }
    path = folder / "spreadsheets-import.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if results.get("posts", args.posts) != args.posts:
        sys.exit(f"error: {path} holds imports of {results['posts']:,} posts, not {args.posts:,}")
    results |= run | {"posts": args.posts}
    for backend, found in figures.items():
        label = LABELS.get(backend, backend)
        results.setdefault("last run seconds", {})[label] = {
            "end to end": found["import"]["import"],
            **{part: found["import"][part] for part in ("check", "write", "seed_demo")},
            "longest request": found["import"]["longest request"],
        }
        results.setdefault("import / seed_demo, every run with the plan", {}).setdefault(
            label, []
        ).append(round(found["import"]["import"] / found["import"]["seed_demo"], 2))
    results.setdefault("goal", 2.0)
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if not args.export_sizes:
        return
    path = folder / "spreadsheets-export.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if results.get("sizes", args.export_sizes) != args.export_sizes:
        sys.exit(
            f"error: {path} holds exports of {results['sizes']} posts, not {args.export_sizes}"
        )
    results |= run | {"sizes": args.export_sizes}
    for backend, found in figures.items():
        results.setdefault("exports", {})[LABELS.get(backend, backend)] = {
            file_format.upper(): {
                "peak MiB": [export["peak MiB"] for export in exports],
                "seconds": [export["seconds"] for export in exports],
            }
            for file_format, exports in found["exports"].items()
        }
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    args = parse_args()
    if args.child:
        step, value = args.child
        steps: dict[str, Callable[[], dict[str, float]]] = {
            "import": lambda: child_import(int(value)),
            "seed": lambda: child_seed(int(value)),
            "export": lambda: child_export(value),
        }
        print(json.dumps(steps[step]()))
        return
    figures = {}
    with tempfile.TemporaryDirectory(prefix="microblog-spreadsheets-") as tmp:
        for backend in args.backends.split(","):
            figures[backend] = run_backend(backend, args, Path(tmp))
    if args.results:
        write_results(args.results, figures, args)


if __name__ == "__main__":
    main()
