"""DATABASE_URL=mysql://… python -m benchmarks.search_compaction [--batch-sizes 1000,5000]

`manage.py compact_search_index` (blog/search_compaction.py) on a MariaDB database that already
holds posts and Mroonga's N-gram table (benchmarks/pages.py leaves one at 1,000,000 posts), while
a writer inserts a post and edits another every 50 ms, each in its own transaction, as a busy
site's users would. For each batch size: leftovers are made first (EDITED of the posts edited,
DELETED deleted, through the triggers as the app's writes go), then the run is timed, with the
writer's slowest write (its stall: a write waits while a batch holds the lock) and its failures.
Exits 1 when a write of the writer failed, or when afterwards a post's text is missing from the
table; times are printed, not judged.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field

# One in 20 posts edited and one in 100 deleted before each run.
EDITED = 20
DELETED = 100
# The writer's pace (contrast/schema_changes/writer.py's: a post every 50 ms).
INTERVAL = 0.05


@dataclass
class WriterReport:
    writes: int = 0
    took: list[float] = field(default_factory=list)  # seconds, each write
    failures: list[str] = field(default_factory=list)


class Writer(threading.Thread):
    """Every INTERVAL, inserts a post, then edits a random one, each a transaction of its own
    on this thread's own connection, until stopped."""

    def __init__(self, author_id: int, newest_id: int) -> None:
        super().__init__(daemon=True)
        self.author_id, self.newest_id = author_id, newest_id
        self.report = WriterReport()
        self._stopping = threading.Event()
        self._rng = random.Random(7)

    def run(self) -> None:
        from django.db import DatabaseError, connection, transaction
        from django.utils import timezone

        from blog.models import Post

        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                for write in ("insert", "edit"):
                    began = time.monotonic()
                    try:
                        with transaction.atomic():
                            if write == "insert":
                                Post.objects.create(
                                    body="written during compaction",
                                    timestamp=timezone.now(),
                                    author_id=self.author_id,
                                )
                            else:
                                pk = self._rng.randint(1, self.newest_id)
                                Post.objects.filter(pk=pk).update(body=f"edited during {pk}")
                        self.report.writes += 1
                    except DatabaseError as error:
                        self.report.failures.append(f"{write}: {error}")
                    self.report.took.append(time.monotonic() - began)
                self._stopping.wait(max(0.0, INTERVAL - (time.monotonic() - started)))
        finally:
            connection.close()

    def stop(self) -> WriterReport:
        self._stopping.set()
        self.join()
        return self.report


def make_leftovers(round_: int) -> tuple[int, int]:
    """Edit one post in EDITED and delete one in DELETED (other ones each round), as the app
    would: the triggers append each new body. Returns (edited, deleted)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE blog_post SET body = CONCAT('edited ', %s, ': ', LEFT(body, 120)) "
            "WHERE id %% %s = %s",
            [round_, EDITED, round_ % EDITED],
        )
        edited = cursor.rowcount
        cursor.execute(
            "DELETE FROM blog_post WHERE id %% %s = %s", [DELETED, (round_ * 7 + 3) % DELETED]
        )
        return edited, cursor.rowcount


def unfindable() -> int:
    """Posts whose body the N-gram table does not hold, compared byte for byte: must be 0."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM blog_post p LEFT JOIN post_body_ngrams n ON n.post_id = p.id "
            "WHERE n.post_id IS NULL OR LOCATE(BINARY p.body, BINARY n.body) = 0"
        )
        return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.search_compaction")
    parser.add_argument("--batch-sizes", default="1000,5000")
    parser.add_argument("--rest", type=float, default=1.0, help="compact_search_index's --rest")
    parser.add_argument(
        "--alone", type=float, default=20, help="seconds of the writer alone first, to compare"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max
    from tqdm import tqdm

    from blog.models import Post
    from blog.search_compaction import compact_ngram_table, has_ngram_table

    if not has_ngram_table():
        sys.exit("DATABASE_URL must name a MariaDB database with Mroonga's N-gram table")
    failed = False
    print(f"rest: {args.rest}", file=sys.stderr)
    print(
        "| batch size | posts | rows rewritten | rows removed | batches locked | seconds "
        "| writer's writes | slowest write | median write | writer's failures |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    newest = Post.objects.aggregate(newest=Max("id"))["newest"]
    author_id = Post.objects.values_list("author_id", flat=True).first()
    assert author_id is not None
    writer = Writer(author_id, newest)
    writer.start()
    time.sleep(args.alone)
    report = writer.stop()
    print(
        f"| (no compaction: the writer alone for {args.alone:.0f} s) | | | | | | {report.writes:,} "
        f"| {max(report.took) * 1000:.0f} ms | {statistics.median(report.took) * 1000:.1f} ms "
        f"| {len(report.failures)} |"
    )
    for round_, batch_size in enumerate(int(size) for size in args.batch_sizes.split(",")):
        edited, deleted = make_leftovers(round_)
        posts = Post.objects.count()
        print(f"{edited:,} posts edited, {deleted:,} deleted; {posts:,} posts", file=sys.stderr)
        writer = Writer(author_id, newest)
        writer.start()
        with tqdm(
            total=posts, unit=" posts", unit_scale=True, desc=f"batches of {batch_size}"
        ) as bar:
            done = compact_ngram_table(batch_size=batch_size, rest=args.rest, on_batch=bar.update)
        report = writer.stop()
        connection.close()
        print(
            f"| {batch_size:,} | {posts:,} | {done.rewritten:,} | {done.removed:,} "
            f"| {done.batches_locked:,} of {done.batches:,} | {done.seconds:.1f} s "
            f"| {report.writes:,} | {max(report.took) * 1000:.0f} ms "
            f"| {statistics.median(report.took) * 1000:.1f} ms | {len(report.failures)} |"
        )
        for failure in report.failures[:5]:
            print(f"FAILED: the writer's {failure}")
        failed = failed or bool(report.failures)
        missing = unfindable()
        if missing:
            print(f"FAILED: {missing} posts unfindable after batches of {batch_size}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
