"""`manage.py compact_search_index`: the leftovers out of MariaDB's N-gram search table, online
(blog/search_compaction.py)."""

import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from tqdm import tqdm

from blog.models import Post
from blog.search import NGRAM_TABLE
from blog.search_compaction import (
    LockNotGranted,
    compact_ngram_table,
    describe,
    has_ngram_table,
)


class Command(BaseCommand):
    help = (
        f"On MariaDB with Mroonga: make each row of {NGRAM_TABLE} its post's body again (the old "
        "bodies of edited posts and the text of deleted ones go), batch by batch, while the site "
        "keeps writing. Ctrl-C stops between batches. Elsewhere there is nothing to compact."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="posts per locked batch (1000)"
        )
        parser.add_argument(
            "--lock-wait",
            type=int,
            default=2,
            help="seconds a batch waits for transactions writing posts, per try (2)",
        )
        parser.add_argument(
            "--rest",
            type=float,
            default=1.0,
            help="after each locked batch, pause this many times as long as it held the lock (1)",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(
        self,
        *args: Any,
        batch_size: int,
        lock_wait: int,
        rest: float,
        database: str,
        **options: Any,
    ) -> None:
        for name, value in (("--batch-size", batch_size), ("--lock-wait", lock_wait)):
            if value < 1:
                raise CommandError(f"{name} must be 1 or more, got {value}")
        if rest < 0:
            raise CommandError(f"--rest must be 0 or more, got {rest}")
        if not has_ngram_table(database):
            self.stdout.write(f"Nothing to compact: {describe(connections[database])}.")
            return

        # Ctrl-C is noted and acted on between batches, so no batch is left half-done.
        stop = threading.Event()

        def note_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        # (Signal handlers belong to the main thread; called from another, Ctrl-C is not ours.)
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, note_stop) if main else None
        if main:  # and let a query under way finish rather than fail with EINTR
            signal.siginterrupt(signal.SIGINT, False)
        try:
            total = Post.objects.using(database).count()
            with tqdm(total=total, unit=" posts", unit_scale=True, desc="compacting") as bar:
                done = compact_ngram_table(
                    using=database,
                    batch_size=batch_size,
                    lock_wait=lock_wait,
                    rest=rest,
                    on_batch=bar.update,
                    stop_requested=stop.is_set,
                )
        except LockNotGranted as error:
            raise CommandError(
                f"stopped: {error}; the batches before it are done, run the command again later"
            ) from None
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        summary = (
            f"{done.rewritten:,} rows rewritten, {done.added:,} added, {done.removed:,} removed, "
            f"{done.batches_locked:,} of {done.batches:,} batches locked, in {done.seconds:.1f} s"
        )
        if done.interrupted:
            raise CommandError(
                f"interrupted between batches: {summary}; the rest is untouched, run the "
                "command again to finish",
                returncode=130,
            )
        self.stdout.write(self.style.SUCCESS(f"Compacted {NGRAM_TABLE}: {summary}."))
