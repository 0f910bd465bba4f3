"""Taking the leftovers out of MariaDB's N-gram search table (migration 0005), online.

The table's triggers only ever add text (Mroonga ignores ROLLBACK, so replacing or removing text
would lose a post whose edit or delete is rolled back): an edited post keeps its old bodies there,
a deleted post all of its text. `compact_ngram_table()` makes each row the post's body again, and
removes the rows of posts that are gone, while the site goes on writing.

Safety rests on one lock per batch of posts, taken only for a batch that needs a change:
`LOCK TABLES blog_post READ, post_body_ngrams WRITE`. A transaction that wrote blog_post holds
a metadata lock on it until it commits or rolls back, and a READ lock waits for every such lock
(new writes then wait behind it). So while the batch is rewritten, the bodies committed in
blog_post are the only ones that will ever be there: an edit under way has finished, kept or
rolled back, and a later edit appends its text through the trigger after the lock is gone.
Each batch is read first without a lock, and a batch whose rows already equal the bodies is left
alone: changing nothing is always safe, and an uncommitted edit shows in the table (Mroonga
writes at once) so its batch is never taken for clean.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

from blog.search import NGRAM_TABLE

POSTS_TABLE = "blog_post"
LOCK = f"LOCK TABLES {POSTS_TABLE} READ, {NGRAM_TABLE} WRITE"
LOCK_WAIT_TIMEOUT = 1205  # MariaDB's ER_LOCK_WAIT_TIMEOUT


@dataclass
class Compaction:
    """What one run did; `interrupted` when it stopped early, between batches."""

    rewritten: int = 0  # rows that held more (or other) text than their post's body
    added: int = 0  # posts that had no row (a table emptied by hand, say)
    removed: int = 0  # rows of posts that no longer exist
    batches: int = 0
    batches_locked: int = 0
    seconds: float = 0.0
    interrupted: bool = False


class LockNotGranted(Exception):
    """A transaction kept writing blog_post past every try; the batch was left untouched."""


def has_ngram_table(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this database keeps Mroonga's N-gram table: MariaDB on which 0005 found Mroonga."""
    connection = connections[using]
    return connection.vendor == "mysql" and NGRAM_TABLE in connection.introspection.table_names()


@dataclass
class Changes:
    rewrite: list[tuple[str, int]]  # (body, post id)
    add: list[tuple[int, str]]  # (post id, body)
    remove: list[int]  # post ids

    def __bool__(self) -> bool:
        return bool(self.rewrite or self.add or self.remove)


def changes_needed(bodies: dict[int, str], texts: dict[int, str]) -> Changes:
    """What makes the table's `texts` equal the posts' `bodies`: compared exactly (Python's `==`
    on the decoded text is byte equality), not as the `_ci` collation would, which takes
    "Café" for "cafe" and ignores trailing spaces."""
    return Changes(
        rewrite=[(body, pk) for pk, body in bodies.items() if pk in texts and texts[pk] != body],
        add=[(pk, body) for pk, body in bodies.items() if pk not in texts],
        remove=[pk for pk in texts if pk not in bodies],
    )


def read_batch(
    cursor: CursorWrapper, after: int, size: int
) -> tuple[dict[int, str], dict[int, str], int | None]:
    """The bodies of the `size` posts after id `after`, the table's texts for the same id range,
    and the range's last id (None for the last batch, which also takes every table row past the
    newest post: deleted newest posts, rolled-back inserts)."""
    cursor.execute(
        f"SELECT id, body FROM {POSTS_TABLE} WHERE id > %s ORDER BY id LIMIT %s", [after, size]
    )
    bodies = dict(cursor.fetchall())
    last = max(bodies) if len(bodies) == size else None
    if last is None:
        cursor.execute(f"SELECT post_id, body FROM {NGRAM_TABLE} WHERE post_id > %s", [after])
    else:
        cursor.execute(
            f"SELECT post_id, body FROM {NGRAM_TABLE} WHERE post_id > %s AND post_id <= %s",
            [after, last],
        )
    return bodies, dict(cursor.fetchall()), last


def read_range(cursor: CursorWrapper, after: int, last: int | None) -> tuple[dict[int, str], ...]:
    """Under the lock: the bodies and texts of the id range a batch read covered, read again."""
    upper = "" if last is None else " AND {column} <= %s"
    params = [after] if last is None else [after, last]
    cursor.execute(
        f"SELECT id, body FROM {POSTS_TABLE} WHERE id > %s{upper.format(column='id')}", params
    )
    bodies = dict(cursor.fetchall())
    cursor.execute(
        f"SELECT post_id, body FROM {NGRAM_TABLE} WHERE post_id > %s"
        f"{upper.format(column='post_id')}",
        params,
    )
    return bodies, dict(cursor.fetchall())


def lock(cursor: CursorWrapper, wait: int, tries: int, stop_requested: Callable[[], bool]) -> bool:
    """Take the batch's lock, waiting at most `wait` seconds a try: while the lock waits for a
    long transaction, new writes wait behind it, so a short wait bounds their stall. Between
    tries the writers go on. False when a stop was asked for meanwhile."""
    for attempt in range(1, tries + 1):
        try:
            cursor.execute(f"{LOCK} WAIT {wait}")
            return True
        except OperationalError as error:
            if error.args[0] != LOCK_WAIT_TIMEOUT:
                raise
        if attempt == tries or stop_requested():
            break
        time.sleep(wait)
    if stop_requested():
        return False
    raise LockNotGranted(
        f"a transaction kept writing {POSTS_TABLE} through {tries} waits of {wait} s"
    )


def compact_ngram_table(
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = 1000,
    lock_wait: int = 2,
    lock_tries: int = 5,
    rest: float = 1.0,
    on_batch: Callable[[int], object] = lambda posts: None,
    stop_requested: Callable[[], bool] = lambda: False,
) -> Compaction:
    """Make every row of MariaDB's N-gram table its post's body, and remove the rows of posts
    that are gone, batch by batch of `batch_size` posts in id order (see the module's docstring).

    After each locked batch it waits `rest` times as long as it held the lock: where every batch
    needs a change, locks back to back would leave writers little time between them.

    `on_batch(posts)` is called after each batch; `stop_requested()` is asked between batches
    (and between tries of a lock), and True ends the run there: every batch is then either done
    whole or untouched. Raises LockNotGranted when a batch's lock is not granted in `lock_tries`
    waits of `lock_wait` seconds; the batches before it stay done.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        # LOCK TABLES would commit it, and the lock must see other transactions' commits.
        raise RuntimeError("compact_ngram_table() runs outside any transaction (autocommit)")
    done = Compaction()
    started = time.monotonic()
    after = 0
    with connection.cursor() as cursor:
        while True:
            bodies, texts, last = read_batch(cursor, after, batch_size)
            if changes_needed(bodies, texts):
                if not lock(cursor, lock_wait, lock_tries, stop_requested):
                    done.interrupted = True
                    break
                locked = time.monotonic()
                try:
                    apply(cursor, changes_needed(*read_range(cursor, after, last)), done)
                finally:
                    cursor.execute("UNLOCK TABLES")
                done.batches_locked += 1
                # Writes that queued behind the lock go through before the next one.
                time.sleep((time.monotonic() - locked) * rest)
            done.batches += 1
            on_batch(len(bodies))
            if last is None:
                break
            after = last
            if stop_requested():
                done.interrupted = True
                break
    done.seconds = time.monotonic() - started
    return done


def apply(cursor: CursorWrapper, changes: Changes, done: Compaction) -> None:
    # One multi-row statement (mysqlclient's executemany) for rewritten and added rows alike:
    # each row is replaced where it stands, so even a process killed mid-batch leaves every
    # post with its old text or its new, never none.
    rows = [(pk, body) for body, pk in changes.rewrite] + changes.add
    if rows:
        cursor.executemany(
            f"INSERT INTO {NGRAM_TABLE} (post_id, body) VALUES (%s, %s) "
            "ON DUPLICATE KEY UPDATE body = VALUES(body)",
            rows,
        )
    if changes.remove:
        placeholders = ", ".join(["%s"] * len(changes.remove))
        cursor.execute(
            f"DELETE FROM {NGRAM_TABLE} WHERE post_id IN ({placeholders})", changes.remove
        )
    done.rewritten += len(changes.rewrite)
    done.added += len(changes.add)
    done.removed += len(changes.remove)


def describe(connection: BaseDatabaseWrapper) -> str:
    """Why there is nothing to compact on this database, in a few words."""
    if connection.vendor == "mysql":
        return "this MariaDB has no Mroonga table (Mroonga was not loaded when 0005 ran)"
    return f"the search index on {connection.display_name} keeps no leftovers"
