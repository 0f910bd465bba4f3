from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from spreadsheets.cleaning import forget_stale_files


class Command(BaseCommand):
    help = (
        "Remove uploads never confirmed and exports' files older than "
        "SPREADSHEET_FILES_KEEP_HOURS (uploads and exports also do it as they come)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        uploads, exports = forget_stale_files()
        self.stdout.write(
            f"Removed {uploads} unconfirmed upload{'s' if uploads != 1 else ''} and {exports} "
            f"export{'s' if exports != 1 else ''} older than "
            f"{settings.SPREADSHEET_FILES_KEEP_HOURS:g} hours."
        )
