"""`manage.py restore FILE`: a backup from `manage.py backup` into DATABASE_URL's database, which
must be empty unless --replace (backup_restore/dumps.py; docs/production.md)."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backup_restore.dumps import BackupError, restore


class Command(BaseCommand):
    # A backup or restore must not wait for the project's checks to pass.
    requires_system_checks: list[str] = []
    help = (
        "Restore a file made by `manage.py backup` into the database DATABASE_URL names. The "
        "database must have no tables, unless --replace."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("source", help="the backup file")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="overwrite the tables of a database that is not empty with the backup's",
        )

    def handle(self, *args: Any, source: str, replace: bool, **options: Any) -> None:
        try:
            done = restore(source, replace=replace)
        except BackupError as exc:
            raise CommandError(f"nothing restored: {exc}") from None
        self.stdout.write(self.style.SUCCESS(str(done)))
