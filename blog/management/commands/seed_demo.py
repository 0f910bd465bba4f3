"""`manage.py seed_demo --users 1000 --posts 1000000`: demo data at scale (blog/demo_data.py)."""

import random
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from tqdm import tqdm

from blog import demo_data


class Command(BaseCommand):
    help = (
        "Add demo users (demo_0000001, …) and posts by them, the same for the same --seed. "
        "Runs again add more; --reset deletes the demo data first."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--users", type=int, help="demo users to add")
        parser.add_argument("--posts", type=int, help="posts to add, by all demo users")
        parser.add_argument("--seed", type=int, default=42, help="same seed, same data (42)")
        parser.add_argument(
            "--batch-size", type=int, default=10_000, help="rows per transaction (10000)"
        )
        parser.add_argument("--reset", action="store_true", help="delete all demo data first")

    def handle(
        self,
        *args: Any,
        users: int | None,
        posts: int | None,
        seed: int,
        batch_size: int,
        reset: bool,
        **options: Any,
    ) -> None:
        # Checked here rather than by argparse, so bad input is one line, not usage and an error.
        for name, value in (("--users", users), ("--posts", posts), ("--batch-size", batch_size)):
            if value is not None and value < 1:
                raise CommandError(f"{name} must be 1 or more, got {value}")
        if not (users or posts or reset):
            raise CommandError("nothing to do: give --users N and/or --posts N (or --reset)")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(
                f"the database is not migrated ({len(pending)} migrations pending): "
                "run `python manage.py migrate` first"
            )
        if posts and not users and (reset or not demo_data.demo_users().exists()):
            raise CommandError("--posts needs authors: add --users N (there are no demo users)")

        if reset:
            deleted_users, deleted_posts = demo_data.delete_demo_data()
            self.stdout.write(f"Deleted {deleted_users} demo users and {deleted_posts} posts.")
        rng = random.Random(seed)
        now = timezone.now()
        written = {"users": 0, "posts": 0}
        try:
            for kind, count, create in (
                ("users", users, demo_data.create_users),
                ("posts", posts, demo_data.create_posts),
            ):
                if not count:
                    continue
                bar = tqdm(total=count, unit=f" {kind}", unit_scale=count >= 10_000, desc=kind)
                with bar:

                    def on_batch(size: int, kind: str = kind, bar: tqdm = bar) -> None:
                        written[kind] += size
                        bar.update(size)

                    create(count, rng, now, batch_size, on_batch)
        except KeyboardInterrupt:
            raise CommandError(
                f"interrupted: wrote {written['users']} users and {written['posts']} posts "
                "in whole batches; the batch under way was rolled back",
                returncode=130,
            ) from None
        self.stdout.write(
            self.style.SUCCESS(f"Added {written['users']} users and {written['posts']} posts.")
        )
