"""python -m benchmarks.seeding [--posts N] [--quick] [--mariadb]

`seed_demo`'s post writer against the floor on SQLite: the same rows, made by the same code
(blog.demo_data.post_rows), written by plain `sqlite3` with `executemany` on one connection, a
transaction per batch, into a copy of the same migrated database. Prints both times and their
ratio, measured in one run; never fails on time. (The page benchmark, benchmarks/pages.py,
reports seed_demo's rate on PostgreSQL, where it writes with COPY, and on MariaDB.)

`--mariadb`: instead, what Mroonga's N-gram table (blog/migrations/0005) costs MariaDB's writes:
seed_demo's posts per second into the same empty posts table without it, then with it, on
`microblog_bench` (benchmarks/pages.py's database, made anew).
"""

import argparse
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import accumulate, islice
from pathlib import Path

BATCH = 10_000
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def parse_args():
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seeding")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="10,000 posts, 100 users (for CI)")
    parser.add_argument("--mariadb", action="store_true", help="the N-gram table's write cost")
    args = parser.parse_args()
    if args.quick:
        args.posts, args.users = 10_000, 100
    return args


def floor(path, args, author_ids):
    """Raw sqlite3: the connection settings Django uses here (microblog/database.py)."""
    from blog.demo_data import SPREAD, post_rows

    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    rng = random.Random(42)
    cum_weights = list(accumulate(1 / rank for rank in range(1, len(author_ids) + 1)))
    rng.shuffle(author_ids)
    rows = post_rows(args.posts, rng, author_ids, cum_weights, NOW - SPREAD, SPREAD)
    started = time.perf_counter()
    for _ in range(0, args.posts, BATCH):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO blog_post (body, timestamp, author_id) VALUES (?, ?, ?)",
            [
                (body, str(moment.replace(tzinfo=None)), a)
                for body, moment, a in islice(rows, BATCH)
            ],
        )
        db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.close()
    return seconds


def mariadb_index_cost(args):
    """Seconds for seed_demo to write args.posts posts on MariaDB: (without, with) the N-gram
    table and its triggers, each time into an empty posts table."""
    from benchmarks.pages import fresh_database

    os.environ.update(DATABASE_URL=fresh_database("mariadb", None), DEBUG="false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from blog import demo_data
    from blog.migration_operations import has_mroonga

    if not has_mroonga(connection):
        sys.exit("MariaDB has not loaded Mroonga: run `make mroonga` first")
    call_command("migrate", verbosity=0)
    demo_data.create_users(args.users, random.Random(1), NOW, batch_size=BATCH)
    seconds = []
    # Without the table (0005 undone), then with it (0005 again, over the emptied posts).
    for target in ("0004", "0005"):
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE TABLE blog_post")
        call_command("migrate", "blog", target, verbosity=0)
        started = time.perf_counter()
        demo_data.create_posts(args.posts, random.Random(42), NOW, batch_size=BATCH)
        seconds.append(time.perf_counter() - started)
    return seconds


def main():
    args = parse_args()
    if args.mariadb:
        without, with_table = mariadb_index_cost(args)
        print(f"\n| writing {args.posts:,} demo posts on MariaDB (seed_demo) | seconds | posts/s |")
        print("|---|---|---|")
        for name, seconds in (("without the N-gram table", without), ("with it", with_table)):
            print(f"| {name} | {seconds:.2f} s | {args.posts / seconds:,.0f} |")
        print(f"\nwith / without: {with_table / without:.2f}×")
        return
    with tempfile.TemporaryDirectory(prefix="microblog-seeding-") as tmp:
        seeded, copy = Path(tmp) / "seed_demo.db", Path(tmp) / "floor.db"
        os.environ.update(DATABASE_URL=f"sqlite:///{seeded}", DEBUG="false")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from blog import demo_data

        call_command("migrate", verbosity=0)
        demo_data.create_users(args.users, random.Random(1), NOW, batch_size=BATCH)
        author_ids = list(demo_data.demo_users().order_by("id").values_list("id", flat=True))
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{seeded}{suffix}").exists():
                shutil.copy(f"{seeded}{suffix}", f"{copy}{suffix}")

        floor_seconds = floor(copy, args, author_ids)
        started = time.perf_counter()
        # The same seed, the same window: demo_data's rng draws the same rows as the floor's.
        demo_data.create_posts(args.posts, random.Random(42), NOW, batch_size=BATCH)
        seed_seconds = time.perf_counter() - started

    print(f"\n| writing {args.posts:,} demo posts on SQLite | seconds | posts/s |")
    print("|---|---|---|")
    for name, seconds in (
        ("raw sqlite3 executemany (floor)", floor_seconds),
        ("seed_demo", seed_seconds),
    ):
        print(f"| {name} | {seconds:.2f} s | {args.posts / seconds:,.0f} |")
    print(f"\nseed_demo / floor: {seed_seconds / floor_seconds:.2f}×")


if __name__ == "__main__":
    main()
