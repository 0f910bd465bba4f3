"""One writer process for tests/test_backup.py: inserts posts until a stop file appears, and
after each commit appends `id time` to its log, so the test knows what was committed when."""

import os
import sys
import time

import django

MAX_SECONDS = 60  # a writer whose test died stops by itself


def main(author_id, log_path, stop_path):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
    django.setup()
    from blog.models import Post

    deadline = time.time() + MAX_SECONDS
    with open(log_path, "a", encoding="utf-8") as log:
        n = 0
        while not os.path.exists(stop_path) and time.time() < deadline:
            post = Post.objects.create(author_id=author_id, body=f"writer {os.getpid()} post {n}")
            # Written after the commit returned: a row logged before a moment was committed then.
            log.write(f"{post.pk} {time.time()}\n")
            log.flush()
            n += 1


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
