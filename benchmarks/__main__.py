"""python -m benchmarks [--quick] [--posts N] [--users N] [--profile] [--results FILE]

Loads the same users and posts into three SQLite files (raw sqlite3, SQLAlchemy 2 ORM, Django),
checks the three schemas are the same and every read is one query, then prints a table of times
and ratios. Exits 1 when a schema differs or a read takes more than one query; the timings are
printed, never judged: a shared machine is too noisy to fail on them. `--results FILE` also writes
the rows all three ran as JSON (docs/data/orm.json's form, which `make plots` draws).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import Contender, PostRow, UserRow

PAGE_SIZES = (10_000,)  # the admin and `/` are also timed when the posts table has this many


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[2]
    )
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="10,000 posts, 100 users (for CI)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", action="store_true", help="cProfile Django's timeline query")
    parser.add_argument(
        "--results", type=Path, help="write the times as JSON (docs/data/orm.json, make plots)"
    )
    args = parser.parse_args()
    if args.quick:
        args.posts, args.users = 10_000, 100
    if args.posts < 1 or args.users < 1:
        parser.error("--posts and --users must be 1 or more")
    return args


def setup_django(path: Path) -> None:
    # Before Django reads its settings: the database is this run's file; DEBUG off, as in
    # production (DEBUG keeps a log of every query, which costs time).
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()


def make_data(args: argparse.Namespace) -> tuple[list[UserRow], list[PostRow]]:
    """Users and posts as plain tuples, made once and loaded by all three."""
    from blog.demo_data import SPREAD, make_body

    rng = random.Random(args.seed)
    now = datetime(2026, 11, 24, tzinfo=UTC)
    users = [
        (f"demo_{n:07d}", f"demo_{n:07d}@example.com", "!", now - SPREAD * rng.random())
        for n in range(1, args.users + 1)
    ]
    posts = [
        (make_body(rng), now - SPREAD * rng.random(), rng.randint(1, args.users))
        for _ in range(args.posts)
    ]
    return users, posts


def count_queries(contender: Contender, call: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks.django_orm import DjangoORM

    if isinstance(contender, DjangoORM):
        with CaptureQueriesContext(connection) as queries:
            call()
        return len(queries)
    before = contender.queries
    call()
    return contender.queries - before


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()  # results are dropped at once, as a web request drops them
    return time.perf_counter() - start


def load(
    contender: Contender,
    users: list[UserRow],
    posts: list[PostRow],
    page_times: dict[int, dict[str, float]],
) -> float:
    """Seconds to load every user and post, 10,000 rows a transaction."""
    from benchmarks.django_orm import DjangoORM

    batch = 10_000
    contender.create_schema()
    seconds = timed(lambda: contender.load_users(users))
    for start in range(0, len(posts), batch):
        seconds += timed(partial(contender.load_posts, posts[start : start + batch]))
        loaded = start + batch
        if isinstance(contender, DjangoORM) and loaded in PAGE_SIZES and loaded < len(posts):
            page_times[loaded] = contender.page_times(repeat=20)
    if isinstance(contender, DjangoORM):
        page_times[len(posts)] = contender.page_times(repeat=20)
    return seconds


def measure(
    contenders: list[Contender], authors: list[int], posts: list[PostRow], rounds: int = 5
) -> dict[str, dict[str, float]]:
    """Seconds per call of each operation, each contender's fastest round. Rounds alternate
    between contenders, so a burst of other work on the machine hits all of them alike."""
    inserts = posts[:100]
    # Each operation, and how many calls it makes; those with a comma are Django's alone.
    operations: dict[str, tuple[Callable[[Any], object], int]] = {
        "timeline": (lambda c: each(c.timeline, authors), len(authors)),
        "public page": (lambda c: each(lambda _: c.public_page(), authors), len(authors)),
        "posts per user": (lambda c: c.posts_per_user(), 1),
        "insert one": (lambda c: each(c.insert_one, inserts, star=True), len(inserts)),
        "timeline, as named tuples": (lambda c: each(c.timeline_tuples, authors), len(authors)),
        "timeline, as first written": (lambda c: each(c.timeline_before, authors), len(authors)),
        "posts per user, as first written": (lambda c: c.posts_per_user_before(), 1),
        "public page, as first written": (
            lambda c: each(lambda _: c.public_page_before(), authors),
            len(authors),
        ),
    }
    seconds: dict[str, dict[str, float]] = {c.name: {} for c in contenders}
    for _ in range(rounds):
        for operation, (call, calls) in operations.items():
            for contender in contenders:
                if "," in operation and contender.name != "Django ORM":
                    continue
                took = timed(partial(call, contender)) / calls
                known = seconds[contender.name].get(operation, took)
                seconds[contender.name][operation] = min(known, took)
    return seconds


def each(call: Callable[..., object], arguments: Iterable[Any], star: bool = False) -> None:
    for argument in arguments:
        call(*argument) if star else call(argument)


def show(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.001:
        return f"{value * 1000:.2f} ms"
    return f"{value * 1e6:.0f} µs"


def operation_labels(args: argparse.Namespace) -> dict[str, str]:
    """The operations all three contenders run, as the table and the chart name them."""
    return {
        "bulk load": f"bulk load {args.posts:,} posts + {args.users:,} users",
        "timeline": "a user's newest 20 (500 users), per query",
        "public page": "newest 20 with usernames, per query",
        "posts per user": "posts per user, all users, per query",
        "insert one": "insert one post, autocommit, per row",
    }


# The contenders, in the table's and the chart's order, by the names the table gives them.
CONTENDERS = {
    "raw sqlite3": "raw sqlite3",
    "SQLAlchemy 2 ORM": "SQLAlchemy ORM",
    "Django ORM": "Django ORM",
}


def write_results(
    path: Path, results: dict[str, dict[str, float]], args: argparse.Namespace
) -> None:
    """The rows all three ran, in microseconds, as docs/data/orm.json holds them."""
    data = {
        "shows": "the same work in raw sqlite3, SQLAlchemy's ORM and Django's ORM, on SQLite",
        "source": "written by python -m benchmarks --results",
        "measured": datetime.now(UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "command": "python -m benchmarks " + " ".join(sys.argv[1:]),
        "contenders": list(CONTENDERS.values()),
        "microseconds": {
            label: [float(f"{results[name][op] * 1e6:.4g}") for name in CONTENDERS]
            for op, label in operation_labels(args).items()
        },
    }
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def print_table(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    raw, sqla, dj = (results[name] for name in CONTENDERS)
    label = operation_labels(args)
    header = [
        "operation",
        "raw sqlite3",
        "SQLAlchemy ORM",
        "Django ORM",
        "Django/raw",
        "Django/SQLA",
    ]
    rows = [
        [label[op], show(raw[op]), show(sqla[op]), show(dj[op])]
        + [f"{dj[op] / raw[op]:.2f}×", f"{dj[op] / sqla[op]:.2f}×"]
        for op in label
    ]
    rows += [
        [f"{label[op.split(', ')[0]]}, {op.split(', ')[1]}", "", "", show(dj[op])]
        + [f"{dj[op] / raw[op.split(', ')[0]]:.2f}×", f"{dj[op] / sqla[op.split(', ')[0]]:.2f}×"]
        for op in dj
        if op not in label
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    overhead = (dj["timeline"] - raw["timeline"]) * 1e6
    print(f"\nDjango's overhead over raw sqlite3 on the timeline query: {overhead:.0f} µs/query")
    print(
        f"load rate: Django {args.posts / dj['bulk load']:,.0f} posts/s, raw "
        f"{args.posts / raw['bulk load']:,.0f} posts/s"
    )


def profile(title: str, call: Callable[..., object], *args: Any) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(call, *args)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    print(f"\n===== cProfile: {title} =====\n{out.getvalue()}")


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="microblog-bench-") as tmp:
        setup_django(Path(tmp) / "django.db")
        from benchmarks import schema
        from benchmarks.django_orm import DjangoORM
        from benchmarks.raw_sqlite import RawSQLite
        from benchmarks.sqlalchemy_orm import SQLAlchemyORM

        started = time.perf_counter()
        users, posts = make_data(args)
        print(
            f"{len(users):,} users and {len(posts):,} posts made in "
            f"{time.perf_counter() - started:.1f} s; loading them three ways",
            flush=True,
        )
        contenders: list[Contender] = [
            RawSQLite(Path(tmp) / "raw.db"),
            SQLAlchemyORM(Path(tmp) / "sqlalchemy.db"),
            DjangoORM(Path(tmp) / "django.db"),
        ]
        failures: list[str] = []
        page_times: dict[int, dict[str, float]] = {}
        loads: dict[str, float] = {}
        rng = random.Random(args.seed)
        authors = [rng.randint(1, len(users)) for _ in range(500)]
        for contender in contenders:
            loads[contender.name] = load(contender, users, posts, page_times)
            print(f"  {contender.name}: {loads[contender.name]:.1f} s", flush=True)
            for read, call in (
                ("timeline", lambda c=contender: c.timeline(authors[0])),
                ("public page", contender.public_page),
                ("posts per user", contender.posts_per_user),
            ):
                if (n := count_queries(contender, call)) != 1:
                    failures.append(f"{contender.name}: {read} took {n} queries, not 1")
        print("timing the reads and inserts, 5 rounds", flush=True)
        results = measure(contenders, authors, posts)
        for name, seconds in loads.items():
            results[name]["bulk load"] = seconds
        if args.profile:
            django = contenders[2]
            profile("Django, 2,000 timeline queries", each, django.timeline, authors * 4)
            profile(
                "Django, 500 public page queries", each, lambda _: django.public_page(), authors
            )
            profile("Django, bulk load of 10,000 posts", django.load_posts, posts[:10_000])
        for contender in contenders:
            contender.close()
        reference = schema.describe(Path(tmp) / "django.db")
        for name in ("raw", "sqlalchemy"):
            failures += [
                f"{name} schema: {line}"
                for line in schema.differences(reference, schema.describe(Path(tmp) / f"{name}.db"))
            ]

    print()
    print_table(results, args)
    if args.results:
        write_results(args.results, results, args)
    print(
        "\n| Django page, median of 20 | " + " | ".join(f"{n:,} posts" for n in page_times) + " |"
    )
    print("|---|" + "---|" * len(page_times))
    for page in ("/", "admin post list"):
        print(f"| {page} | " + " | ".join(f"{t[page]:.1f} ms" for t in page_times.values()) + " |")
    if failures:
        print("\nFAILED:\n" + "\n".join(failures))
        sys.exit(1)
    print("\nSame schema in all three files; every read was one query.")


main()
