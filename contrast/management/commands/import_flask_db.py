"""`manage.py import_flask_db app.db`: the chapter's Flask data into ours (docs/contrast.md)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from contrast.flask_import import ImportRefused, import_flask_db


class Command(BaseCommand):
    help = (
        "Import the users and posts of the chapter's Flask app from its SQLite database, keeping "
        "ids, timestamps and passwords. Checks everything first and writes nothing on a problem; "
        "running it again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="the Flask app's SQLite file: a path or sqlite:/// URL")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, then write nothing"
        )

    def handle(self, *args, source, dry_run, **options):
        try:
            # The real stderr: Django's self.stderr ends every write with a newline, which would
            # turn tqdm's one redrawn line into hundreds.
            report = import_flask_db(source, dry_run=dry_run, progress_file=sys.stderr)
        except ImportRefused as exc:
            raise CommandError(f"nothing imported: {exc}") from None
        self.stdout.write(self.style.SUCCESS(str(report)))
