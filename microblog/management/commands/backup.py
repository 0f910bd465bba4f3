"""`manage.py backup [file or folder/]`: a consistent backup of DATABASE_URL's database while the
site runs (microblog/backups.py; docs/production.md, "Backups and restore")."""

from django.core.management.base import BaseCommand, CommandError

from microblog.backups import BackupError, backup


class Command(BaseCommand):
    # A backup or restore must not wait for the project's checks to pass.
    requires_system_checks = []
    help = (
        "Back up the database DATABASE_URL names, while the site keeps writing: SQLite with its "
        "online backup API, PostgreSQL with pg_dump, MariaDB with mariadb-dump. The file appears "
        "only once complete and checked."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "destination",
            nargs="?",
            help="a file to write, or a folder for a timestamped file (default: backups/)",
        )

    def handle(self, *args, destination, **options):
        try:
            done = backup(destination)
        except BackupError as exc:
            raise CommandError(f"no backup made: {exc}") from None
        self.stdout.write(self.style.SUCCESS(str(done)))
