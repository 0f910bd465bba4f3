"""Our Django models, the queries the app runs, and its pages through Django's test client."""

import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from benchmarks import PostRow, UserRow
from blog.models import Post


class DjangoORM:
    name = "Django ORM"

    def __init__(self, path: Path) -> None:
        # DATABASE_URL already names `path` (benchmarks/__main__.py sets it before django.setup).
        self.path = path
        self.queries = 0

    def create_schema(self) -> None:
        call_command("migrate", verbosity=0)

    def load_users(self, users: Sequence[UserRow]) -> None:
        User = get_user_model()
        with transaction.atomic():
            User.objects.bulk_create(
                User(username=name, email=email, password=pw, date_joined=joined)
                for name, email, pw, joined in users
            )

    def load_posts(self, batch: Sequence[PostRow]) -> None:
        with transaction.atomic():
            Post.objects.bulk_create(
                Post(body=body, timestamp=moment, author_id=author)
                for body, moment, author in batch
            )

    def timeline(self, author_id: int) -> list[Post]:
        # Only what a timeline shows: the author is known, so author_id is not fetched (it would
        # also cost a foreign-key descriptor check per row). Meta.ordering is the index's order.
        return list(Post.objects.filter(author_id=author_id).only("body", "timestamp")[:20])

    def public_page(self) -> list[dict[str, Any]]:
        # The public page's own query (blog/views.py): one username per post, not a JOIN that
        # fetches the whole, wide user row (password, flags, dates) for each post; dicts of the
        # three values the page shows, not model instances.
        return list(Post.objects.for_public_page()[:20])

    def timeline_tuples(self, author_id: int) -> list[Any]:
        # What a page that shows a timeline's text would read: no model instances. The app has
        # no such page, so the table's timeline row stays model instances, like SQLAlchemy's.
        return list(
            Post.objects.filter(author_id=author_id).values_list(
                "id", "body", "timestamp", named=True
            )[:20]
        )

    # The same reads as first written, to show what the two above cut.
    def timeline_before(self, author_id: int) -> list[Post]:
        return list(Post.objects.filter(author_id=author_id)[:20])

    def posts_per_user_before(self) -> list[Any]:
        return list(Post.objects.values_list("author_id").annotate(Count("id")))

    def public_page_before(self) -> list[tuple[str, str]]:
        return [
            (post.body, post.author.username) for post in Post.objects.select_related("author")[:20]
        ]

    def posts_per_user(self) -> list[Any]:
        # COUNT(*), not Django's usual Count("id"): SQLite reads and checks the id of every
        # row for COUNT(id), which made this 1.4x raw at a million posts.
        return list(Post.objects.values_list("author_id").annotate(posts=Count("*")))

    def insert_one(self, body: str, moment: datetime, author_id: int) -> None:
        Post.objects.create(body=body, timestamp=moment, author_id=author_id)

    def page_times(self, repeat: int) -> dict[str, float]:
        """Median milliseconds for `/` and the admin's post changelist, rendered in full."""
        admin = get_user_model().objects.create_superuser("bench_admin", "bench@example.com", None)
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        times: dict[str, float] = {}
        for label, url in (("/", "/"), ("admin post list", reverse("admin:blog_post_changelist"))):
            client.get(url)  # warm caches (templates, content types) once
            samples = []
            for _ in range(repeat):
                start = time.perf_counter()
                response = client.get(url)
                samples.append(time.perf_counter() - start)
                assert response.status_code == 200, (url, response.status_code)
            times[label] = sorted(samples)[len(samples) // 2] * 1000
        admin.delete()
        return times

    def close(self) -> None:
        connection.close()
