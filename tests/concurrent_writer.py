"""One writer process for tests/test_concurrent_writes.py: waits for the common start time, then
inserts posts, each in its own read-then-write transaction, and reports what failed."""

import os
import sys
import time

import django


def main(author_id, count, start_at):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
    django.setup()
    from django.db import transaction

    from blog.models import Post

    time.sleep(max(0.0, start_at - time.time()))
    for n in range(count):
        # Reading before writing is what trips SQLite's default DEFERRED transactions: the
        # lock upgrade fails at once with "database is locked" when another process writes.
        with transaction.atomic():
            written = Post.objects.filter(author_id=author_id).count()
            Post.objects.create(author_id=author_id, body=f"pid {os.getpid()} post {n} ({written})")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
