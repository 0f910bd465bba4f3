"""python -m benchmarks.seeding [--posts N] [--quick] [--mariadb] [--results FILE]

`seed_demo`'s post writer on SQLite against plain `sqlite3` writing the same rows (made by the
same code, blog.demo_data.post_rows) with `executemany` on one connection, each into its own copy
of one migrated database with the same users, and five ways of keeping the trigram search table
(migration 0004):

- per-row triggers: the migrated schema as it is, a transaction per batch (what every load did
  before blog.search.bulk_load_posts);
- the same triggers, but 500 rows per INSERT statement rather than one (executemany's): the
  triggers' cost comes with each statement;
- per-batch fill, blog.search.bulk_load_posts' way in plain SQL: in each batch's transaction
  the insert trigger dropped, the rows written, their trigrams in one INSERT ... SELECT of the
  ids above the newest before, the trigger re-created;
- 'rebuild': the insert trigger dropped, every batch written, FTS5's 'rebuild' command, the
  trigger re-created, all in one transaction;
- no trigram table: its triggers dropped and nothing indexed, the floor of writing the rows alone
  (search then finds nothing: a reference, not a way to load).

seed_demo writes a transaction per batch through `bulk_load_posts`: the per-batch fill, through
Django. Prints times, rates, database sizes and ratios measured in one run; exits 1 when a
trigram table does not hold exactly the posts (FTS5's integrity check), never on time. (The page
benchmark, benchmarks/pages.py, reports seed_demo's rate on PostgreSQL, where it writes with
COPY, and on MariaDB.) `--results FILE` also puts the SQLite times of this run's size into FILE
(docs/data/seeding-sqlite.json, which `make plots` draws; other sizes keep their figures).

`--mariadb`: instead, what Mroonga's N-gram table (blog/migrations/0005) costs MariaDB's writes:
seed_demo's posts per second into the same empty posts table without it, then with it, on
`microblog_bench` (benchmarks/pages.py's database, made anew).
"""

import argparse
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import accumulate, islice
from pathlib import Path

BATCH = 10_000
NOW = datetime(2026, 11, 24, tzinfo=UTC)
INSERT_POST = "INSERT INTO blog_post (body, timestamp, author_id) VALUES (?, ?, ?)"
TRIGRAM_TRIGGERS = (
    "SELECT name, sql FROM sqlite_master "
    "WHERE type = 'trigger' AND name LIKE 'post_body_trigrams_%'"
)
# Raw ways of keeping the trigram table, with how their rows are indexed.
PER_ROW, REBUILD, NONE = "per-row triggers", "'rebuild' after the load", "no trigram table"
MULTI_ROW = "per-row triggers, 500 rows per INSERT"
PER_BATCH = "per-batch fill (bulk_load_posts' SQL)"
RAW_WAYS = (PER_ROW, MULTI_ROW, PER_BATCH, REBUILD, NONE)
INSERT_TRIGGER = "post_body_trigrams_insert"
ROWS_PER_INSERT = 500


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seeding")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="10,000 posts, 100 users (for CI)")
    parser.add_argument("--mariadb", action="store_true", help="the N-gram table's write cost")
    parser.add_argument(
        "--results", type=Path, help="JSON file to put this size's SQLite times in (make plots)"
    )
    args = parser.parse_args()
    if args.quick:
        args.posts, args.users = 10_000, 100
    return args


def batches(args: argparse.Namespace, author_ids: list[int]) -> Iterator[list[tuple]]:
    """The rows seed_demo writes for seed 42, as sqlite3 parameters, BATCH at a time."""
    from blog.demo_data import SPREAD, post_rows

    rng = random.Random(42)
    cum_weights = list(accumulate(1 / rank for rank in range(1, len(author_ids) + 1)))
    author_ids = list(author_ids)
    rng.shuffle(author_ids)
    rows = post_rows(args.posts, rng, author_ids, cum_weights, NOW - SPREAD, SPREAD)
    for _ in range(0, args.posts, BATCH):
        yield [
            (body, str(moment.replace(tzinfo=None)), a) for body, moment, a in islice(rows, BATCH)
        ]


def raw_load(path: Path, args: argparse.Namespace, author_ids: list[int], trigrams: str) -> float:
    """Seconds for raw sqlite3 to write the posts, keeping the trigram table as `trigrams` says,
    with the connection settings Django uses here (microblog/database.py)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    triggers = dict(db.execute(TRIGRAM_TRIGGERS).fetchall())
    if trigrams == NONE:
        for name in triggers:
            db.execute(f"DROP TRIGGER {name}")
    started = time.perf_counter()
    if trigrams == REBUILD:
        db.execute("BEGIN IMMEDIATE")
        db.execute(f"DROP TRIGGER {INSERT_TRIGGER}")
    for rows in batches(args, author_ids):
        if trigrams != REBUILD:
            db.execute("BEGIN IMMEDIATE")
        if trigrams == PER_BATCH:
            db.execute(f"DROP TRIGGER {INSERT_TRIGGER}")
            (newest_before,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM blog_post").fetchone()
        if trigrams == MULTI_ROW:
            for start in range(0, len(rows), ROWS_PER_INSERT):
                chunk = rows[start : start + ROWS_PER_INSERT]
                db.execute(
                    INSERT_POST.replace("(?, ?, ?)", ", ".join(["(?, ?, ?)"] * len(chunk))),
                    [value for row in chunk for value in row],
                )
        else:
            db.executemany(INSERT_POST, rows)
        if trigrams == PER_BATCH:
            db.execute(
                "INSERT INTO post_body_trigrams (rowid, body) "
                "SELECT id, body FROM blog_post WHERE id > ?",
                [newest_before],
            )
            db.execute(triggers[INSERT_TRIGGER])
        if trigrams != REBUILD:
            db.execute("COMMIT")
    if trigrams == REBUILD:
        db.execute("INSERT INTO post_body_trigrams (post_body_trigrams) VALUES ('rebuild')")
        db.execute(triggers[INSERT_TRIGGER])
        db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.close()
    return seconds


def mariadb_index_cost(args: argparse.Namespace) -> list[float]:
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


def size_and_check(path: Path, indexed: bool) -> tuple[int, int]:
    """(bytes of the database, bytes of its trigram table) after a checkpoint; exits 1 when an
    indexed database's trigram table does not hold exactly its posts."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if indexed:
        try:
            # With rank 1, FTS5 also checks the table against every post's body.
            db.execute(
                "INSERT INTO post_body_trigrams (post_body_trigrams, rank) "
                "VALUES ('integrity-check', 1)"
            )
        except sqlite3.DatabaseError as exc:
            sys.exit(f"{path.name}: the trigram table does not match the posts ({exc})")
    (trigram_bytes,) = db.execute(
        "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'post_body_trigrams%'"
    ).fetchone()
    db.close()
    return path.stat().st_size, trigram_bytes


def write_results(
    path: Path, results: dict[str, tuple[float, int, int]], args: argparse.Namespace
) -> None:
    """This size's seconds and rates beside the other sizes' in docs/data/seeding-sqlite.json."""
    data = json.loads(path.read_text()) if path.exists() else {}
    by_size = {
        way: dict(zip(data["sizes"], figures, strict=True))
        for way, figures in data.get("ways", {}).items()
    }
    for way, (seconds, *_) in results.items():
        by_size.setdefault(way, {})[args.posts] = {
            "seconds": round(seconds, 2),
            "posts per second": round(args.posts / seconds),
        }
    sizes = sorted({size for figures in by_size.values() for size in figures})
    data |= {
        "shows": "writing demo posts on SQLite, by how the trigram search table is kept",
        "source": "written by python -m benchmarks.seeding --results (a size left out of a run"
        " keeps its earlier figures)",
        "measured": datetime.now(UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "command": "python -m benchmarks.seeding " + " ".join(sys.argv[1:]),
        "sizes": sizes,
        "ways": {way: [figures[size] for size in sizes] for way, figures in by_size.items()},
    }
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def main() -> None:
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
        seeded = Path(tmp) / "seed_demo.db"
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

        results = {}  # name: (seconds, database bytes, trigram table bytes)
        for number, trigrams in enumerate(RAW_WAYS, 1):
            copy = Path(tmp) / f"raw-{number}.db"
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{seeded}{suffix}").exists():
                    shutil.copy(f"{seeded}{suffix}", f"{copy}{suffix}")
            seconds = raw_load(copy, args, author_ids, trigrams)
            results[f"raw sqlite3, {trigrams}"] = (seconds, *size_and_check(copy, trigrams != NONE))
        started = time.perf_counter()
        # The same seed, the same window: demo_data's rng draws the same rows as `batches`.
        demo_data.create_posts(args.posts, random.Random(42), NOW, batch_size=BATCH)
        seconds = time.perf_counter() - started
        connection.close()
        results["seed_demo (bulk_load_posts)"] = (seconds, *size_and_check(seeded, True))

    print(
        f"\n| writing {args.posts:,} demo posts on SQLite | seconds | posts/s "
        "| database | of it, trigram table |"
    )
    print("|---|---|---|---|---|")
    for name, (seconds, size, trigram_size) in results.items():
        print(
            f"| {name} | {seconds:.2f} s | {args.posts / seconds:,.0f} "
            f"| {size / 1e6:.0f} MB | {trigram_size / 1e6:.0f} MB |"
        )
    seed_seconds = results["seed_demo (bulk_load_posts)"][0]
    if args.results:
        write_results(args.results, results, args)
    print()
    for trigrams in RAW_WAYS:
        raw_seconds = results[f"raw sqlite3, {trigrams}"][0]
        print(f"raw sqlite3 with {trigrams} / seed_demo: {raw_seconds / seed_seconds:.2f}×")


if __name__ == "__main__":
    main()
