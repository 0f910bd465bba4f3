"""Files nobody came back for: uploads checked but never confirmed (or whose check never
finished, or that the worker failed), and exports' files, removed once older than
SPREADSHEET_FILES_KEEP_HOURS. Run on every upload and every background export, and by
`manage.py forget_spreadsheet_files`."""

import contextlib
import os
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from spreadsheets.importing import forget_file
from spreadsheets.models import Export, Import


def forget_stale_files() -> tuple[int, int]:
    """Removes stale uploads and exports; returns how many of each."""
    cutoff = timezone.now() - timedelta(hours=settings.SPREADSHEET_FILES_KEEP_HOURS)
    # A failed import keeps its file for a second try as long as an unconfirmed one does.
    waiting = [Import.State.CHECKING, Import.State.CHECKED, Import.State.FAILED]
    uploads = 0
    for job in Import.objects.filter(state__in=waiting, uploaded_at__lt=cutoff):
        # Only while still unconfirmed: a confirmation at the same moment wins (it changes the
        # state first, and this then updates nothing).
        if Import.objects.filter(pk=job.pk, state=job.state).update(state=Import.State.EXPIRED):
            forget_file(job)
            uploads += 1
    exports = 0
    # A finished export's hours count from when it finished; one still writing after that long
    # has lost its worker.
    stale = Q(state=Export.State.DONE, finished_at__lt=cutoff) | Q(
        state=Export.State.WRITING, requested_at__lt=cutoff
    )
    for export in Export.objects.filter(stale):
        if Export.objects.filter(pk=export.pk, state=export.state).update(
            state=Export.State.EXPIRED
        ):
            for path in (export.path, f"{export.path}.partial"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
            exports += 1
    return uploads, exports
