"""python -m benchmarks.admin_contrast [--quick] [--posts N] [--users N] [--repeat N]

Each admin's post list on the same users and posts, on SQLite (docs/admin-contrast.md): Django's
admin, and the Flask twin's Flask-Admin as documented and hardened. Django's data comes from
`seed_demo`; the Flask databases, made by their own `flask db upgrade`, get a copy of the same
rows. For each page: the median time of several renders through each framework's test client,
its number of queries, and the ratio of each Flask-Admin's time to Django's. Exits 1 when a page
answers anything but 200; times are printed, never judged (a shared machine is too noisy).
`--results FILE` also writes them as JSON (docs/data/admin-contrast-pages.json, which `make plots`
draws).
"""

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# A word no demo post has, put into one post half-way down: the "one match" search.
NEEDLE = "xylophonequartz"
MISSING = "nosuchwordanywhere"
EDITOR, PASSWORD = "bench_admin", "a bench password 1"
SIDES = ["Django admin", "Flask-Admin as documented", "Flask-Admin hardened"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.admin_contrast")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=10, help="renders per page (median)")
    parser.add_argument("--quick", action="store_true", help="1,000 posts, 3 renders (for CI)")
    parser.add_argument(
        "--results", type=Path, help="write the figures as JSON (docs/data/, make plots)"
    )
    parser.add_argument("--django-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.posts, args.repeat = 1_000, 3
    return args


def pages(side: str, author: str, author_id: int) -> dict[str, tuple[str, dict[str, str]]]:
    """{page: (url, query)} on one side; as documented, Flask-Admin has no search or filter."""
    if side == "Django admin":
        url = "/admin/blog/post/"
        return {
            "the first list page": (url, {}),
            "search, one match": (url, {"q": NEEDLE}),
            "search, no match": (url, {"q": MISSING}),
            "filter by author": (url, {"author__id__exact": str(author_id)}),
        }
    url = "/admin/post/"
    if side == "Flask-Admin as documented":
        return {"the first list page": (url, {})}
    return {
        "the first list page": (url, {}),
        "search, one match": (url, {"search": NEEDLE}),
        "search, no match": (url, {"search": MISSING}),
        "filter by author": (url, {"flt0_author_equals": author}),
    }


def rows_in(page: str) -> int:
    """The posts a list page shows: one checkbox each (Django's admin, Flask-Admin)."""
    return page.count('name="_selected_action"') + page.count('name="rowid"')


def timed(
    get: Callable[[str, dict[str, str]], int],
    counted: Callable[[str, dict[str, str]], tuple[int, int, int]],
    repeat: int,
    url: str,
    query: dict[str, str],
) -> dict[str, Any]:
    """One page: its status and number of queries on a first render, the median of `repeat`
    more."""
    status, queries, rows = counted(url, query)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        get(url, query)
        times.append(time.perf_counter() - start)
    ms = statistics.median(times) * 1000
    return {"status": status, "queries": queries, "rows": rows, "ms": ms}


def django_child(args: argparse.Namespace) -> None:
    """In a process of its own (Django's settings are per process): Django's pages, as JSON."""
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
    author_id, author = json.loads(args.django_child)

    def get(url: str, query: dict[str, str]) -> int:
        return client.get(url, query).status_code

    def counted(url: str, query: dict[str, str]) -> tuple[int, int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, query)
        return response.status_code, len(queries), rows_in(response.content.decode())

    results = {
        name: timed(get, counted, args.repeat, url, query)
        for name, (url, query) in pages("Django admin", author, author_id).items()
    }
    print(json.dumps(results))


def flask_pages(side: str, database: Path, args: argparse.Namespace, author: str) -> dict[str, Any]:
    import sqlalchemy as sa

    from contrast.flask_app_2024 import db
    from contrast.flask_app_2024.admin import documented, hardened

    module = documented if side == "Flask-Admin as documented" else hardened
    base: Any = documented.DocumentedConfig if module is documented else hardened.HardenedConfig

    class Config(base):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{database}"

    app = module.create_app(Config)
    client = app.test_client()
    if module is hardened:
        page = client.get("/admin/login/").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        data = {"username": EDITOR, "password": PASSWORD, "csrf_token": token}
        assert client.post("/admin/login/", data=data).status_code == 302
    with app.app_context():
        engine = db.engine
    queries: list[int] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *_: queries.append(1))

    def get(url: str, query: dict[str, str]) -> int:
        return int(client.get(url, query_string=query).status_code)

    def counted(url: str, query: dict[str, str]) -> tuple[int, int, int]:
        before = len(queries)
        response = client.get(url, query_string=query)
        rows = rows_in(response.get_data(as_text=True))
        return response.status_code, len(queries) - before, rows

    return {
        name: timed(get, counted, args.repeat, url, query)
        for name, (url, query) in pages(side, author, 0).items()
    }


def run(command: list[str], database: Path, **kwargs: Any) -> str:
    # DEBUG off, as in production: no query log kept, templates cached.
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "false"}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, **kwargs
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr}")
    return result.stdout


def prepared(folder: Path, args: argparse.Namespace) -> tuple[Path, int, str]:
    """Django's database seeded by seed_demo, plus the editor and the needle; returns it, and the
    id and name of the author with the most posts."""
    django_db = folder / "django.db"
    python = sys.executable
    run([python, "manage.py", "migrate", "-v0"], django_db)
    seed = ["seed_demo", "--users", str(args.users), "--posts", str(args.posts)]
    run([python, "manage.py", *seed], django_db)
    create = (
        "from accounts.models import User; "
        f"User.objects.create_superuser({EDITOR!r}, 'bench@example.com', {PASSWORD!r})"
    )
    run([python, "manage.py", "shell", "-c", create], django_db)
    with sqlite3.connect(django_db) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM blog_post ORDER BY id")]
        connection.execute(
            "UPDATE blog_post SET body = ? WHERE id = ?",
            (f"One post says {NEEDLE}.", ids[len(ids) // 2]),
        )
        author_id, author = connection.execute(
            "SELECT u.id, u.username FROM accounts_user u JOIN blog_post p ON p.author_id = u.id"
            " GROUP BY u.id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    connection.close()
    return django_db, author_id, author


def flask_copy(django_db: Path, side: str, folder: Path) -> Path:
    """A Flask database made by the twin's own `flask db upgrade`, holding Django's rows."""
    database = folder / f"{side.split()[-1]}.db"
    twin = (
        "flask_app_2024" if side == "Flask-Admin as documented" else "flask_app_2024.admin.hardened"
    )
    run([sys.executable, "-m", "flask", "--app", f"contrast.{twin}", "db", "upgrade"], database)
    from werkzeug.security import generate_password_hash

    with sqlite3.connect(database) as connection:
        connection.execute("ATTACH DATABASE ? AS django", (str(django_db),))
        connection.execute(
            "INSERT INTO user (id, username, email, password_hash)"
            " SELECT id, username, email, NULL FROM django.accounts_user"
        )
        connection.execute(
            "INSERT INTO post (id, body, timestamp, user_id)"
            " SELECT id, body, timestamp, author_id FROM django.blog_post"
        )
        connection.execute(
            "UPDATE user SET password_hash = ? WHERE username = ?",
            (generate_password_hash(PASSWORD), EDITOR),
        )
        if side == "Flask-Admin hardened":
            connection.execute(
                "INSERT INTO staff (user_id, manages_users, manages_posts)"
                " SELECT id, 1, 1 FROM user WHERE username = ?",
                (EDITOR,),
            )
    connection.close()
    return database


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> int:
    print(
        f"Each admin's post list, {args.posts:,} posts by {args.users} users, SQLite; median of "
        f"{args.repeat} renders (ms), [queries, rows shown], ratio to Django's time:"
    )
    print(f"{'page':22}" + "".join(f"{side:>30}" for side in SIDES))
    failed = 0
    for page in results["Django admin"]:
        django_ms = results["Django admin"][page]["ms"]
        cells = []
        for side in SIDES:
            measured = results[side].get(page)
            if measured is None:
                cells.append(f"{'—':>30}")
                continue
            failed += measured["status"] != 200
            ratio = f" ×{measured['ms'] / django_ms:.2f}" if side != "Django admin" else ""
            cell = f"{measured['ms']:.1f} [{measured['queries']}, {measured['rows']}]{ratio}"
            cells.append(
                f"{cell:>30}"
                if measured["status"] == 200
                else f"{'HTTP ' + str(measured['status']):>30}"
            )
        print(f"{page:22}" + "".join(cells))
    return 1 if failed else 0


def write_results(path: Path, results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    """Each side's pages as docs/data/admin-contrast-pages.json holds them, for scripts/plots.py."""
    figures = {
        "shows": "each admin's post list on the same posts, SQLite: median time per page, its"
        " queries and rows shown",
        "source": "written by python -m benchmarks.admin_contrast --results",
        "measured": datetime.now(UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "command": "python -m benchmarks.admin_contrast " + " ".join(sys.argv[1:]),
        "posts": args.posts,
        "users": args.users,
        "repeat": args.repeat,
        "pages": {
            side: {page: found | {"ms": round(found["ms"], 1)} for page, found in pages.items()}
            for side, pages in results.items()
        },
    }
    path.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    args = parse_args()
    if args.django_child:
        django_child(args)
        return
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        django_db, author_id, author = prepared(folder, args)
        child = [sys.executable, "-m", "benchmarks.admin_contrast", "--repeat", str(args.repeat)]
        child += ["--django-child", json.dumps([author_id, author])]
        results = {"Django admin": json.loads(run(child, django_db))}
        for side in SIDES[1:]:
            results[side] = flask_pages(side, flask_copy(django_db, side, folder), args, author)
    if args.results:
        write_results(args.results, results, args)
    sys.exit(report(results, args))


if __name__ == "__main__":
    main()
