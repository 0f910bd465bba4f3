"""python -m benchmarks.pages [--quick] [--backends sqlite,postgresql,mariadb] [--sizes 10000,…]

Every page a reader or an editor can reach, at each table size, on each backend: the median time
of several renders through Django's test client, its number of queries, and the EXPLAIN of each
query it runs on the posts table. Exits 1 when a page answers anything but 200 or runs more
queries at a larger size; times are printed, never judged (a shared machine is too noisy to fail
on them). `--explain FILE` writes every plan to FILE, `--results FILE` the times as JSON
(docs/data/pages.json's form, which `make plots` draws). Fewer queries at a larger size are a plan
chosen by the data, not a cost that grows: MariaDB's search skips its N-gram lookup for a word in
one sampled post in ten, and a word in 19 % of the posts counts as common only once the table
holds the 500 matches that take (blog/search.py).

Each backend runs in a child process of its own (Django's settings are per process), on a
database made for the run: a temporary SQLite file, `microblog_bench` on PostgreSQL and MariaDB
(or $BENCH_DATABASE).
"""

import argparse
import io
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # The test client's response (with .context), as django-stubs names it.
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

    from blog.cursors import Cursor

ROOT = Path(__file__).resolve().parent.parent
SERVERS = {
    "postgresql": os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
    "mariadb": os.environ.get("BENCH_MARIADB_URL", "mysql://root@127.0.0.1:3306"),
}
# Another name keeps two runs on one server apart.
DATABASE = os.environ.get("BENCH_DATABASE", "microblog_bench")
# A word no demo post has, put into one post half-way down: the "one match" search.
NEEDLE = "xylophonequartz"
# A user with this many posts, spread over the whole table, at every size: their page holds the
# same rows at every size, so its time shows what the table's size alone costs.
AUTHOR_POSTS = 150
# The backends as the docs' charts name them.
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mariadb": "MariaDB"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pages")
    parser.add_argument("--backends", default="sqlite,postgresql,mariadb")
    parser.add_argument("--sizes", default="10000,1000000", help="posts, comma-separated")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10, help="renders per page (median)")
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 posts (for CI)")
    parser.add_argument("--explain", type=Path, help="write every query's plan to this file")
    parser.add_argument(
        "--results", type=Path, help="write the times as JSON (docs/data/pages.json, make plots)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.users, args.repeat = "1000,10000", 100, 3
    args.sizes = [int(size) for size in args.sizes.split(",")]
    return args


# ---- the child: one backend, every size ----


def pages(cursor_90: "Cursor", moment_90: datetime) -> list[tuple[str, str, dict[str, str]]]:
    """(name, url, query) of each page measured, the 90 % ones computed at each size."""
    admin = "/admin/blog/post/"
    day = moment_90.date().isoformat()
    return [
        ("/ first page", "/", {}),
        ("/ 90 % deep, by cursor", "/", {"older": str(cursor_90)}),
        ("/ 90 % deep, by date", "/", {"before": moment_90.isoformat()}),
        ("admin list, first page", admin, {}),
        ("admin list, 90 % deep, date range", admin, {"timestamp__range__lte": day}),
        ("admin search, no match", admin, {"q": "zzqx"}),
        ("admin search, one match", admin, {"q": NEEDLE}),
        ("admin search, a common word", admin, {"q": "coffee"}),
        (f"admin, one user's {AUTHOR_POSTS} posts (@name)", admin, {"q": "@bench_author"}),
    ]


def child(backend: str, args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Max, Min
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from benchmarks.plans import explain, reads_posts
    from blog.cursors import Cursor
    from blog.models import Post

    # The test client keeps each response's template context only in a test environment;
    # the page benchmark reads it to check what each page found.
    setup_test_environment()
    call_command("migrate", verbosity=0)
    User = get_user_model()
    editor = User.objects.create_superuser("bench_admin", "bench@example.com", None)
    author = User.objects.create_user("bench_author", "author@example.com", None)
    client = Client(HTTP_HOST="localhost")
    client.force_login(editor)
    results: dict[int, dict[str, Any]] = {}
    for size in args.sizes:
        started = time.perf_counter()
        # Its tqdm bar goes to stderr, as progress; stdout carries only this child's results.
        call_command("seed_demo", reset=True, users=args.users, posts=size, stdout=io.StringIO())
        seeded = time.perf_counter() - started
        newest_first = Post.objects.values("id", "timestamp")
        middle = newest_first[size // 2]
        Post.objects.filter(pk=middle["id"]).update(body=f"One post says {NEEDLE}.")
        bounds = Post.objects.aggregate(oldest=Min("timestamp"), newest=Max("timestamp"))
        oldest, newest = bounds["oldest"], bounds["newest"]
        step = (newest - oldest) / AUTHOR_POSTS
        author.posts.all().delete()  # the last size's
        Post.objects.bulk_create(
            Post(author=author, body=f"Bench post {n}", timestamp=oldest + step * n)
            for n in range(AUTHOR_POSTS)
        )
        at_90 = newest_first[int(size * 0.9)]
        with connection.cursor() as cursor:  # statistics, as autovacuum would have by now
            if connection.vendor == "mysql":
                cursor.execute("ANALYZE TABLE blog_post, accounts_user")
                cursor.fetchall()
            else:
                cursor.execute("ANALYZE")
        measured: dict[str, dict[str, Any]] = {}
        for name, url, query in pages(Cursor.of(at_90), at_90["timestamp"]):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, query)
            # Read now: the renders below empty the connection's query log.
            queries = [q["sql"] for q in captured.captured_queries]
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                client.get(url, query)
                times.append(time.perf_counter() - start)
            post_sql = [sql for sql in queries if reads_posts(sql)]
            measured[name] = {
                "status": response.status_code,
                "ms": statistics.median(times) * 1000,
                "queries": len(queries),
                "plans": [{"sql": sql, "plan": explain(sql)} for sql in post_sql],
                "found": found(response),
            }
        results[size] = {"seed seconds": seeded, "pages": measured}
        print(f"  {backend}: {size:,} posts seeded in {seeded:.1f} s, pages timed", file=sys.stderr)
    print(json.dumps(results))


def found(response: "Response") -> str:
    """How many posts the page shows (the public page) or says it found (the admin list)."""
    if "cl" in response.context:
        return response.context["cl"].paginator.total_in_words
    return f"{len(response.context['posts'])} posts"


# ---- the parent: a database per backend, a child per backend, then the tables ----


def fresh_database(backend: str, folder: Path | None, name: str = DATABASE) -> str:
    """A new, empty database called `name` for `backend`; returns its DATABASE_URL. `folder`
    holds SQLite's file."""
    if backend == "sqlite":
        assert folder is not None
        return f"sqlite:///{folder / f'{name}.db'}"
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(f"{SERVERS[backend]}/postgres", autocommit=True) as server:
            server.execute(f"DROP DATABASE IF EXISTS {name}")
            server.execute(f"CREATE DATABASE {name}")
        return f"{SERVERS[backend]}/{name}"
    from urllib.parse import urlsplit

    import MySQLdb  # mysqlclient (make mysql-driver)

    parts = urlsplit(SERVERS[backend])
    mariadb = MySQLdb.connect(
        host=parts.hostname, port=parts.port, user=parts.username, password=parts.password or ""
    )
    mariadb.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
    mariadb.cursor().execute(
        f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    mariadb.close()
    return f"{SERVERS[backend]}/{name}"


def run_backend(
    backend: str, args: argparse.Namespace, folder: Path
) -> dict[int, dict[str, Any]] | None:
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database(backend, folder),
        "DEBUG": "false",  # as in production: no query log kept, no debug pages
        "DJANGO_SETTINGS_MODULE": "microblog.settings",
    }
    command = [sys.executable, "-m", "benchmarks.pages", "--child", backend]
    command += ["--sizes", ",".join(map(str, args.sizes)), "--users", str(args.users)]
    command += ["--repeat", str(args.repeat)]
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        return None
    return {int(size): result for size, result in json.loads(done.stdout).items()}


def report(
    all_results: dict[str, dict[int, dict[str, Any]]], args: argparse.Namespace
) -> list[str]:
    """Markdown tables (stdout) and plans (--explain); the failures found, as lines."""
    failures: list[str] = []
    plans: list[str] = []
    small, large = args.sizes[0], args.sizes[-1]
    for backend, results in all_results.items():
        print(f"\n### {backend}\n")
        print(
            f"| page | {small:,} posts | {large:,} posts | {large:,} / {small:,} | queries "
            f"| shows at {large:,} |"
        )
        print("|---|---|---|---|---|---|")
        for name, first in results[small]["pages"].items():
            last = results[large]["pages"][name]
            by_size = [results[size]["pages"][name]["queries"] for size in sorted(args.sizes)]
            counts = set(by_size)
            print(
                f"| {name} | {first['ms']:.1f} ms | {last['ms']:.1f} ms | "
                f"{last['ms'] / first['ms']:.2f}× | {'/'.join(map(str, sorted(counts)))} "
                f"| {last['found']} |"
            )
            if any(larger > smaller for smaller, larger in itertools.pairwise(by_size)):
                failures.append(f"{backend} {name}: {by_size} queries as the table grows")
            for size in args.sizes:
                page = results[size]["pages"][name]
                if page["status"] != 200:
                    failures.append(f"{backend} {name} at {size:,}: answered {page['status']}")
                for query in page["plans"]:
                    plans.append(
                        f"#### {backend}, {name}, {size:,} posts\n\n```sql\n{query['sql']}\n```\n"
                    )
                    plans.append("```\n" + "\n".join(query["plan"]) + "\n```\n")
        seeds = ", ".join(
            f"{size:,} posts in {results[size]['seed seconds']:.1f} s" for size in args.sizes
        )
        print(f"\nseed_demo: {seeds}")
    if args.explain:
        args.explain.write_text("\n".join(plans), encoding="utf-8")
    return failures


def write_results(
    path: Path, all_results: dict[str, dict[int, dict[str, Any]]], args: argparse.Namespace
) -> None:
    """The median times as docs/data/pages.json holds them, for scripts/plots.py to draw."""
    ms = {
        LABELS.get(backend, backend): {
            name: [results[size]["pages"][name]["ms"] for size in args.sizes]
            for name in results[args.sizes[0]]["pages"]
        }
        for backend, results in all_results.items()
    }
    run = {
        "measured": datetime.now(UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "command": "python -m benchmarks.pages " + " ".join(sys.argv[1:]),
        "sizes": args.sizes,
        "ms": ms,
    }
    results = {
        "shows": "time per page (median of the renders) against posts, per backend",
        "source": "written by python -m benchmarks.pages --results",
        "runs": [run],
    }
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    args = parse_args()
    if args.child:
        return child(args.child, args)
    all_results: dict[str, dict[int, dict[str, Any]]] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="microblog-pages-") as tmp:
        for backend in args.backends.split(","):
            print(f"{backend}: {', '.join(f'{s:,}' for s in args.sizes)} posts", file=sys.stderr)
            results = run_backend(backend, args, Path(tmp))
            if results is None:
                failures.append(f"{backend}: the run failed (see above)")
            else:
                all_results[backend] = results
    failures += report(all_results, args)
    if args.results:
        write_results(args.results, all_results, args)
    if failures:
        print("\nFAILED:\n" + "\n".join(failures))
        sys.exit(1)
    print("\nEvery page answered 200, with no more queries at a larger size.")


if __name__ == "__main__":
    main()
