"""python -m benchmarks.admin_contrast [--quick] [--posts N] [--backends sqlite,postgresql,mariadb]
                                      [--results FILE]

Each admin on the same users and posts (docs/admin-contrast.md): Django's admin, and the Flask
twin's Flask-Admin as documented and hardened, through the steps an editor takes at scale: the
post list's first page and the last page a user can reach, search in the body and in the
username, a filter by author and date range, a user's posts, the export of that filtered list,
the post form, and the change page and delete confirmation of the user with the most posts.
For each page: its number of queries and the median time of its renders through each
framework's test client, and the ratio of each Flask-Admin's time to Django's, measured in one
run.

One database per backend and size holds both sides' tables: Django's, seeded by `seed_demo`, and
the twin's, made by the hardened admin's own `flask db upgrade` and holding a copy of the same
rows. It is kept for the next run (`admin_contrast_bench_<posts>`, or `$BENCH_DATABASE_<posts>`;
SQLite's file in $BENCH_SQLITE_DIR, else the temporary folder) and seeded only when its posts are
missing. Every page runs in a process of its own, bounded in time and memory: a page past either
bound is recorded as such, with the bound. Exits 1 when a Django page answers anything but 200
(a Flask-Admin's failures are recorded, as measured); times are printed, never judged.
`--results FILE` also writes them as JSON, which `make plots` draws: docs/data/
admin-contrast-pages.json at 10,000 posts on SQLite (`make bench`), admin-contrast-1m.json at a
million on all three backends (`make admin-contrast-1m`).
"""

import argparse
import io
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.pages import LABELS, SERVERS

ROOT = Path(__file__).resolve().parent.parent
DATABASE = os.environ.get("BENCH_DATABASE", "admin_contrast_bench")
SQLITE_DIR = Path(os.environ.get("BENCH_SQLITE_DIR", tempfile.gettempdir()))
# A word no demo post has, put into one post half-way down: the body search's one match.
NEEDLE = "xylophonequartz"
EDITOR, PASSWORD = "bench_admin", "a bench password 1"
SIDES = ["Django admin", "Flask-Admin as documented", "Flask-Admin hardened"]
# The filtered list (and its export): the busiest author's posts of this many days, the newest.
FILTER_DAYS = 30
FLASK_PAGE_SIZE = 20  # Flask-Admin's page_size, in both configurations
PAGE_NAMES = [
    "the post list, first page",
    "the post list, last page",
    "search in the body, one match",
    "search in the username",
    "filter by author and dates",
    "a user's posts",
    "export of the filtered list",
    "the post form",
    "the user's change page",
    "the user's delete confirmation",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.admin_contrast")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--repeat", type=int, default=5, help="renders per page (median)")
    parser.add_argument(
        "--budget", type=float, default=15, help="seconds of renders per page after the first"
    )
    parser.add_argument("--bound", type=int, default=180, help="seconds a page may take, at most")
    parser.add_argument("--memory", type=int, default=3, help="GB a page's process may map")
    parser.add_argument("--results", type=Path, help="write the figures as JSON (make plots)")
    parser.add_argument(
        "--quick", action="store_true", help="1,000 posts, 100 users, 1 render, 3 backends (CI)"
    )
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--page", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.posts, args.users, args.repeat = 1_000, 100, 1
        args.backends = "sqlite,postgresql,mariadb"
    return args


def pages(side: str, facts: dict[str, Any]) -> dict[str, tuple[str, dict[str, str]]]:
    """{page: (url, query)} on one side; None where that admin has no such page."""
    author, author_id = facts["author"], str(facts["author_id"])
    start, end = facts["from"], facts["to"]
    if side == "Django admin":
        posts = "/admin/blog/post/"
        by_author_and_dates = {
            "author__id__exact": author_id,
            "timestamp__range__gte": start,
            "timestamp__range__lte": end,
        }
        user = f"/admin/accounts/user/{author_id}"
        return {
            "the post list, first page": (posts, {}),
            "the post list, last page": (posts, {"p": str(facts["django_last_page"])}),
            "search in the body, one match": (posts, {"q": NEEDLE}),
            "search in the username": (posts, {"q": f"@{author}"}),
            "filter by author and dates": (posts, by_author_and_dates),
            "a user's posts": (posts, {"author__id__exact": author_id}),
            "export of the filtered list": ("/admin/blog/post/export/csv/", by_author_and_dates),
            "the post form": ("/admin/blog/post/add/", {}),
            "the user's change page": (f"{user}/change/", {}),
            "the user's delete confirmation": (f"{user}/delete/", {}),
        }
    posts = "/admin/post/"
    last_page = {"page": str(math.ceil(facts["posts"] / FLASK_PAGE_SIZE) - 1)}
    user_page = ("/admin/user/edit/", {"id": author_id})
    if side == "Flask-Admin as documented":
        # No search, filter, export or delete confirmation page.
        return {
            "the post list, first page": (posts, {}),
            "the post list, last page": (posts, last_page),
            "the post form": ("/admin/post/new/", {}),
            "the user's change page": user_page,
        }
    by_author_and_dates = {
        "flt0_author_equals": author,
        "flt1_timestamp_between": f"{start} 00:00:00 to {end} 23:59:59",
    }
    return {
        "the post list, first page": (posts, {}),
        "the post list, last page": (posts, last_page),
        "search in the body, one match": (posts, {"search": NEEDLE}),
        "search in the username": (posts, {"search": author}),
        "filter by author and dates": (posts, by_author_and_dates),
        "a user's posts": (posts, {"flt0_author_equals": author}),
        "export of the filtered list": ("/admin/post/export/csv/", by_author_and_dates),
        "the post form": ("/admin/post/new/", {}),
        "the user's change page": user_page,
        "the user's delete confirmation": ("/admin/user/delete/", {"id": author_id}),
    }


def shown(url: str, text: str) -> int | None:
    """The posts a list page shows (one checkbox each), or an export's rows; None elsewhere."""
    if "/export/" in url:
        return max(text.count("\n") - 1, 0)
    if url.rstrip("/").endswith("post"):
        return text.count('name="_selected_action"') + text.count('name="rowid"')
    return None


# ---- a page, in a process of its own ----


def page_child(args: argparse.Namespace) -> None:
    """One page of one side, on DATABASE_URL: its first render counted, then up to `repeat`
    more within `budget` seconds; prints JSON."""
    side, url, query = json.loads(args.page)
    get, count_queries = django_client() if side == "Django admin" else flask_client(side)
    error = None
    start = time.perf_counter()
    with count_queries() as queries:
        try:
            status, text = get(url, query)
        except Exception as raised:  # the test clients raise what a server would answer 500 to
            status, text, error = 500, "", f"{type(raised).__name__}: {raised}"[:300]
    first = time.perf_counter() - start
    # Now: Django's count reads the connection's log, which the next renders may empty.
    result: dict[str, Any] = {"status": status, "queries": len(queries)}
    times: list[float] = []
    while error is None and len(times) < args.repeat and sum(times) + first < args.budget:
        start = time.perf_counter()
        get(url, query)
        times.append(time.perf_counter() - start)
    result |= {
        "rows": None if error else shown(url, text),
        "bytes": len(text.encode()),
        "renders": len(times) or 1,
    }
    # A failed page: the time it took to fail.
    result["ms"] = statistics.median(times or [first]) * 1000
    if error:
        result["error"] = error
    result["peak MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(result))


def django_client() -> tuple[Any, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    # No setup_test_environment(): it copies every template's context for the tests to read,
    # which the Flask side's test client does not pay. A host ALLOWED_HOSTS lists in development.
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=EDITOR))

    def get(url: str, query: dict[str, str]) -> tuple[int, str]:
        response = client.get(url, query)
        # An export streams: its rows are read from the database only as it is sent.
        body = (
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
            if response.streaming
            else response.content
        )
        return response.status_code, body.decode()

    return get, lambda: CaptureQueriesContext(connection)


def flask_client(side: str) -> tuple[Any, Any]:
    import contextlib

    import sqlalchemy as sa

    from contrast.flask_app_2024 import db
    from contrast.flask_app_2024.admin import documented, hardened

    module = documented if side == "Flask-Admin as documented" else hardened
    base: Any = documented.DocumentedConfig if module is documented else hardened.HardenedConfig

    class Config(base):
        SQLALCHEMY_DATABASE_URI = sqlalchemy_url(os.environ["DATABASE_URL"])
        # A failure reaches page_child, which names it, instead of becoming a bare 500.
        PROPAGATE_EXCEPTIONS = True

    app = module.create_app(Config)
    client = app.test_client()
    if module is hardened:
        page = client.get("/admin/login/").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        data = {"username": EDITOR, "password": PASSWORD, "csrf_token": token}
        assert client.post("/admin/login/", data=data).status_code == 302
    with app.app_context():
        engine = db.engine
    executed: list[int] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *_: executed.append(1))

    def get(url: str, query: dict[str, str]) -> tuple[int, str]:
        response = client.get(url, query_string=query)
        return response.status_code, response.get_data(as_text=True)

    @contextlib.contextmanager
    def count_queries() -> Any:
        before = len(executed)
        queries: list[int] = []
        yield queries
        queries.extend(executed[before:])

    return get, count_queries


def sqlalchemy_url(url: str) -> str:
    """DATABASE_URL as SQLAlchemy names its driver (psycopg 3, mysqlclient)."""
    scheme, rest = url.split("://", 1)
    driver = {"postgres": "postgresql+psycopg", "mysql": "mysql+mysqldb"}.get(scheme, scheme)
    return f"{driver}://{rest}" + ("?charset=utf8mb4" if scheme == "mysql" else "")


# ---- the database: seeded once, both sides' tables ----


def prepare(args: argparse.Namespace) -> None:
    """On DATABASE_URL: Django's tables seeded (unless they hold the posts already), the editor
    and the needle, the twin's tables holding the same rows; prints the facts the pages need."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Max

    from accounts.models import User
    from blog.admin import COUNT_CAP, PostAdmin
    from blog.models import Post

    call_command("migrate", verbosity=0)
    if Post.objects.count() != args.posts:
        started = time.perf_counter()
        # Its messages would mix with this child's JSON on stdout.
        quiet = io.StringIO()
        call_command("seed_demo", reset=True, users=args.users, posts=args.posts, stdout=quiet)
        print(f"  seed_demo: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    middle = Post.objects.order_by("id").values_list("id", flat=True)[args.posts // 2]
    Post.objects.filter(pk=middle).update(body=f"One post says {NEEDLE}.")
    if not User.objects.filter(username=EDITOR).exists():
        User.objects.create_superuser(EDITOR, "bench@example.com", PASSWORD)
    busiest = User.objects.annotate(n=Count("posts")).order_by("-n").values("id", "username")[0]
    newest = Post.objects.aggregate(newest=Max("timestamp"))["newest"]
    copy_to_the_twin(connection)
    per_page = PostAdmin.list_per_page
    print(
        json.dumps(
            {
                "posts": args.posts,
                "author": busiest["username"],
                "author_id": busiest["id"],
                "author_posts": Post.objects.filter(author_id=busiest["id"]).count(),
                "from": (newest - timedelta(days=FILTER_DAYS)).date().isoformat(),
                "to": newest.date().isoformat(),
                "django_last_page": math.ceil(min(args.posts, COUNT_CAP + 1) / per_page),
            }
        )
    )


def copy_to_the_twin(connection: Any) -> None:
    """The twin's tables, by its own migrations, holding Django's users and posts (once)."""
    from werkzeug.security import generate_password_hash

    env = {**os.environ, "DATABASE_URL": sqlalchemy_url(os.environ["DATABASE_URL"])}
    flask = [sys.executable, "-m", "flask", "--app", "contrast.flask_app_2024.admin.hardened"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    user, post = connection.ops.quote_name("user"), connection.ops.quote_name("post")
    timestamp = connection.ops.quote_name("timestamp")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {post}")
        (copied,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM blog_post")
        if cursor.fetchone()[0] == copied:
            return
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            # Django's column holds aware times, the twin's naive ones: in UTC, as its app writes.
            cursor.execute("SET TIME ZONE 'UTC'")
        for table in ("staff", post, user):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {user} (id, username, email, password_hash)"
            " SELECT id, username, email, NULL FROM accounts_user"
        )
        cursor.execute(
            f"INSERT INTO {post} (id, body, {timestamp}, user_id)"
            " SELECT id, body, timestamp, author_id FROM blog_post"
        )
        cursor.execute(
            f"UPDATE {user} SET password_hash = %s WHERE username = %s",
            [generate_password_hash(PASSWORD), EDITOR],
        )
        cursor.execute(
            f"INSERT INTO staff (user_id, manages_users, manages_posts)"
            f" SELECT id, TRUE, TRUE FROM {user} WHERE username = %s",
            [EDITOR],
        )
        # Statistics for both sides' tables, as autovacuum would have by now.
        if connection.vendor == "mysql":
            cursor.execute(f"ANALYZE TABLE blog_post, accounts_user, {post}, {user}")
            cursor.fetchall()
        else:
            cursor.execute("ANALYZE")
    print(f"  the twin's copy: {time.perf_counter() - started:.0f} s", file=sys.stderr)


def database_url(backend: str, posts: int) -> str:
    """The kept database for `backend` at this size, created when missing."""
    name = f"{DATABASE}_{posts}"
    if backend == "sqlite":
        return f"sqlite:///{SQLITE_DIR / f'{name}.db'}"
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(f"{SERVERS[backend]}/postgres", autocommit=True) as server:
            known = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not known.fetchone():
                server.execute(f"CREATE DATABASE {name}")
        return f"{SERVERS[backend]}/{name}"
    import MySQLdb  # mysqlclient (make mysql-driver)

    parts = urlsplit(SERVERS[backend])
    mariadb = MySQLdb.connect(
        host=parts.hostname, port=parts.port, user=parts.username, password=parts.password or ""
    )
    mariadb.cursor().execute(
        f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    mariadb.close()
    return f"{SERVERS[backend]}/{name}"


# ---- the parent ----


def child(
    url: str, options: list[str], args: argparse.Namespace, bound: float | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "benchmarks.admin_contrast", *options]
    command += ["--posts", str(args.posts), "--users", str(args.users)]
    command += ["--repeat", str(args.repeat), "--budget", str(args.budget)]
    # DEBUG off, as in production: no query log kept, templates cached.
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false"}
    limit = args.memory * 2**30

    def bounded_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=bound,
        preexec_fn=bounded_memory if bound else None,
        check=False,
    )


def measure_page(
    url: str, side: str, page: tuple[str, dict[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    """One page's figures, or what stopped it: a bound reached, or an error."""
    try:
        done = child(url, ["--page", json.dumps([side, *page])], args, bound=args.bound)
    except subprocess.TimeoutExpired:
        return {"status": None, "error": f"timed out: no answer within {args.bound} s"}
    if done.returncode != 0:
        said = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        return {"status": None, "error": said[-1][:300]}
    result = json.loads(done.stdout)
    if result.get("error", "").startswith("MemoryError"):
        result["error"] = f"out of memory: more than {args.memory} GB"
    return result


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    url = database_url(backend, args.posts)
    started = time.perf_counter()
    prepared = child(url, ["--prepare"], args)
    if prepared.returncode != 0:
        sys.exit(f"{backend}: preparing the database failed:\n{prepared.stderr}")
    facts = json.loads(prepared.stdout)
    print(f"{backend}: ready in {time.perf_counter() - started:.0f} s: {facts}", file=sys.stderr)
    results: dict[str, Any] = {"facts": facts, "pages": {}}
    for name in PAGE_NAMES:
        row: dict[str, Any] = {}
        results["pages"][name] = row
        for side in SIDES:
            page = pages(side, facts).get(name)
            row[side] = None if page is None else measure_page(url, side, page, args)
        row["load"] = round(os.getloadavg()[0], 1)
        print(f"  {name}: {cells(row)}", file=sys.stderr)
    return results


def cell(measured: dict[str, Any] | None) -> str:
    if measured is None:
        return "—"
    if "ms" not in measured:  # a bound reached, or a process that died
        return measured["error"]
    rows = "" if measured["rows"] is None else f", {measured['rows']:,} rows"
    figures = f"{measured['ms']:,.1f} ms [{measured['queries']} queries{rows}]"
    if measured["status"] != 200:
        return f"HTTP {measured['status']} after {figures}: {measured.get('error', '')}"
    return figures


def cells(row: dict[str, Any]) -> str:
    return " | ".join(cell(row[side]) for side in SIDES)


def ratio(row: dict[str, Any], side: str) -> str:
    django, other = row["Django admin"], row[side]
    if not (django and other) or django["status"] != 200 or other["status"] != 200:
        return ""
    return f" ×{other['ms'] / django['ms']:.2f}"


def report(all_results: dict[str, dict[str, Any]], args: argparse.Namespace) -> int:
    failed = 0
    for backend, results in all_results.items():
        facts = results["facts"]
        print(
            f"\n### {LABELS[backend]}, {args.posts:,} posts by {args.users:,} users; the busiest"
            f" author {facts['author']} has {facts['author_posts']:,}; median of up to"
            f" {args.repeat} renders, ratio to Django's time\n"
        )
        print("| page | " + " | ".join(SIDES) + " | load average |")
        print("|---|---|---|---|---|")
        for name, row in results["pages"].items():
            line = [cell(row["Django admin"])]
            line += [cell(row[side]) + ratio(row, side) for side in SIDES[1:]]
            print(f"| {name} | " + " | ".join(line) + f" | {row['load']} |")
            failed += row["Django admin"]["status"] != 200
    return 1 if failed else 0


def write_results(path: Path, all_results: dict[str, Any], args: argparse.Namespace) -> None:
    data = {
        "shows": "each admin's pages at one size, per backend: time, queries, rows, or the bound",
        "source": "written by python -m benchmarks.admin_contrast --results",
        "measured": datetime.now(UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "command": "python -m benchmarks.admin_contrast " + " ".join(sys.argv[1:]),
        "posts": args.posts,
        "bounds": {"seconds": args.bound, "GB": args.memory},
        "backends": {LABELS[backend]: results for backend, results in all_results.items()},
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    args = parse_args()
    if args.prepare:
        return prepare(args)
    if args.page:
        return page_child(args)
    all_results = {backend: run_backend(backend, args) for backend in args.backends.split(",")}
    status = report(all_results, args)
    if args.results:
        write_results(args.results, all_results, args)
    sys.exit(status)


if __name__ == "__main__":
    main()
