"""`manage.py import_flask_db app.db`: a Flask microblog's data into ours (docs/contrast.md)."""

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from contrast.flask_import import ImportRefused, import_flask_db


class Command(BaseCommand):
    help = (
        "Import the users and posts of a Flask Mega-Tutorial microblog (any chapter, either "
        "edition), keeping ids, timestamps and passwords, and list what stays behind. Checks "
        "everything first and writes nothing on a problem; running it again adds nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "source",
            help="the Flask app's database: a SQLite file (a path or sqlite:/// URL), or its "
            "postgres:// or mysql:// DATABASE_URL; only ever read",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check, count and report, then write nothing"
        )
        usernames = parser.add_mutually_exclusive_group()
        usernames.add_argument(
            "--rename-usernames",
            action="store_const",
            const="rename",
            dest="usernames",
            help="give usernames Django refuses a valid, unique name: refused characters become "
            "'_', and '-<id>' is added to a name already taken (docs/contrast.md)",
        )
        usernames.add_argument(
            "--keep-usernames",
            action="store_const",
            const="keep",
            dest="usernames",
            help="keep usernames whose characters Django refuses as they are",
        )
        parser.set_defaults(usernames="refuse")

    def handle(
        self, *args: Any, source: str, dry_run: bool, usernames: str, **options: Any
    ) -> None:
        try:
            # The real stderr: Django's self.stderr ends every write with a newline, which would
            # turn tqdm's one redrawn line into hundreds.
            report = import_flask_db(
                source, dry_run=dry_run, usernames=usernames, progress_file=sys.stderr
            )
        except ImportRefused as exc:
            for line in exc.details:
                self.stderr.write(line)
            raise CommandError(f"nothing imported: {exc}") from None
        self.stdout.write(self.style.SUCCESS(str(report)))
