"""python -m benchmarks.spreadsheets [--quick] [--backends …] [--posts N] [--export-sizes …]

Import and export through the admin, against `seed_demo`, on each backend (docs/performance.md):

- import: N posts (100,000) exported from the admin as CSV without their ids, the posts deleted,
  then the file uploaded, checked by the task worker, confirmed and written by it, all timed end
  to end against `seed_demo` writing the same number of posts on the same database. The longest
  request is reported too (gunicorn's timeout is 30 s).
- export: peak memory (the process's max RSS) of one export of every post, in a fresh process,
  at each size (10,000 and 1,000,000), for CSV, JSON and XLSX.

Times and memory are printed, never judged. Each backend runs on a database made for the run: a
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
from pathlib import Path

from benchmarks.pages import fresh_database

ROOT = Path(__file__).resolve().parent.parent
DATABASE = os.environ.get("BENCH_DATABASE", "microblog_spreadsheets_bench")


def parse_args():
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spreadsheets")
    parser.add_argument("--backends", default="sqlite,postgresql,mariadb")
    parser.add_argument("--posts", type=int, default=100_000, help="posts imported")
    parser.add_argument(
        "--export-sizes", default="10000,1000000", help="posts, comma-separated; empty: none"
    )
    parser.add_argument("--formats", default="csv,json,xlsx")
    parser.add_argument("--quick", action="store_true", help="2,000 posts; exports at 1k and 5k")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.posts, args.export_sizes = 2_000, "1000,5000"
    args.export_sizes = [int(size) for size in args.export_sizes.split(",") if size]
    return args


# ---- children: one step each, in a process of its own ----


def setup_django():
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


def seed(posts):
    """seed_demo's time for `posts` posts by 1,000 demo users (made first, untimed)."""
    from django.core.management import call_command

    from blog.demo_data import demo_users

    if not demo_users().exists():
        call_command("seed_demo", "--users", "1000", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", "--posts", str(posts), verbosity=0)
    return time.perf_counter() - started


def child_import(posts):
    """seed_demo's time for `posts`, then the same posts through the admin's import."""
    client = setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.urls import reverse

    from blog.models import Post
    from spreadsheets.models import Import

    seed_seconds = seed(posts)
    export = client.get(reverse("admin:blog_post_export", args=["csv"]))
    rows = csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")))
    without_ids = io.StringIO()
    csv.writer(without_ids).writerows(row[1:] for row in rows)
    Post.objects.all().delete()

    requests = []

    def request(method, url, **data):
        started = time.perf_counter()
        response = getattr(client, method)(url, data)
        requests.append(time.perf_counter() - started)
        return response

    def work():
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    started = time.perf_counter()
    upload = SimpleUploadedFile("posts.csv", without_ids.getvalue().encode())
    request("post", reverse("admin:blog_post_import"), file=upload)
    job = Import.objects.latest("pk")
    status = reverse("admin:blog_post_import_status", args=[job.pk])
    checking = time.perf_counter()
    work()
    checked = time.perf_counter() - checking
    request("get", status)
    request("post", status)
    writing = time.perf_counter()
    work()
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
        "longest request": max(requests),
    }


def child_export(file_format):
    """One export of every post; this process's peak memory and the time it took."""
    client = setup_django()
    from django.urls import reverse

    started = time.perf_counter()
    response = client.get(reverse("admin:blog_post_export", args=[file_format]))
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB → MiB on Linux
    return {"seconds": seconds, "peak MiB": peak, "file MiB": size / 2**20}


def child_seed(posts):
    setup_django()
    from blog.models import Post

    if Post.objects.count() > posts:  # the import's posts, more than the smallest export's
        Post.objects.all().delete()
    return {"seconds": seed(posts - Post.objects.count())}


# ---- the parent: a database per backend, children in turn ----


def run_child(env, *step):
    command = [sys.executable, "-m", "benchmarks.spreadsheets", "--child", *map(str, step)]
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, step))} failed (see above)")
    return json.loads(done.stdout.splitlines()[-1])  # after anything seed_demo printed


def run_backend(backend, args, folder):
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database(backend, folder, DATABASE),
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "microblog.settings",
        "IMPORT_UPLOAD_DIR": str(folder / "imports"),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    print(f"\n### {backend}\n")
    result = run_child(env, "import", args.posts)
    print(
        f"import of {args.posts:,} posts from CSV: {result['import']:.1f} s end to end "
        f"(check {result['check']:.1f} s, write {result['write']:.1f} s), against "
        f"seed_demo's {result['seed_demo']:.1f} s: {result['import'] / result['seed_demo']:.2f}×; "
        f"longest request {result['longest request']:.2f} s"
    )
    if not args.export_sizes:
        return
    print(f"\n| export | {' | '.join(f'{size:,} posts' for size in args.export_sizes)} |")
    print(f"|---|{'---|' * len(args.export_sizes)}")
    lines = {file_format: [] for file_format in args.formats.split(",")}
    for size in args.export_sizes:
        run_child(env, "seed", size)
        for file_format in lines:
            export = run_child(env, "export", file_format)
            lines[file_format].append(
                f"{export['peak MiB']:.0f} MiB peak, {export['seconds']:.1f} s, "
                f"{export['file MiB']:.0f} MiB file"
            )
    for file_format, cells in lines.items():
        print(f"| {file_format.upper()} | {' | '.join(cells)} |")


def main():
    args = parse_args()
    if args.child:
        step, value = args.child
        steps = {"import": lambda: child_import(int(value)), "seed": lambda: child_seed(int(value))}
        steps["export"] = lambda: child_export(value)
        print(json.dumps(steps[step]()))
        return
    with tempfile.TemporaryDirectory(prefix="microblog-spreadsheets-") as tmp:
        for backend in args.backends.split(","):
            run_backend(backend, args, Path(tmp))


if __name__ == "__main__":
    main()
