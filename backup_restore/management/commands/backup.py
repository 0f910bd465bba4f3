"""`manage.py backup [file or folder/]`: a consistent backup of DATABASE_URL's database while the
site runs (backup_restore/dumps.py; docs/production.md, "Backups and restore")."""

import signal
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backup_restore.dumps import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database DATABASE_URL names, while the site keeps writing: SQLite with its "
        "online backup API, PostgreSQL with pg_dump, MariaDB with mariadb-dump. The file appears "
        "only once complete and checked."
    )
    # A backup must not wait for the project's checks to pass.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "destination",
            nargs="?",
            help="a file to write, or a folder for a timestamped file (default: backups/)",
        )

    def handle(self, *args: Any, destination: str | None, **options: Any) -> None:
        # cron's and systemd's time limits stop a job with SIGTERM: end as on Ctrl-C, so the
        # unfinished file is removed instead of left behind.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            done = backup(destination)
        except BackupError as exc:
            raise CommandError(f"no backup made: {exc}") from None
        except KeyboardInterrupt:
            raise CommandError("interrupted: no backup made", returncode=130) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write(self.style.SUCCESS(str(done)))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
