"""Exports too big to stream inside a request (more rows than settings.EXPORT_STREAMED_MAX_ROWS),
written to a file by the background worker (spreadsheets/tasks.py) while the admin shows how
many rows are written, then offers the file for download.

The worker applies the list's query string again, as the person who asked, through the model's
own admin: the same search, filters, date range and permissions as the streamed export.
"""

import contextlib
import os
from collections.abc import Iterable, Iterator

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import QueryDict
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from spreadsheets.formats import write_file
from spreadsheets.models import Export
from spreadsheets.sheets import SHEETS

# How often the worker records its progress for the admin's page.
PROGRESS_EVERY = 10_000


def write(job: Export) -> None:
    if job.state != Export.State.WRITING:  # run again after its outcome was recorded
        return
    sheet = SHEETS[job.kind]()
    # From the first row, also when run again after the database went away under it.
    job.rows_written = 0
    # Written under another name and renamed when whole: never a half file to download.
    partial = f"{job.path}.partial"
    try:
        lines = counted(sheet.export_lines(listed(job)), job)
        with open(partial, "wb") as file:
            write_file(job.file_format, list(sheet.columns), lines, file)
        os.replace(partial, job.path)
    except Exception as error:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        job.state, job.error, job.finished_at = Export.State.FAILED, str(error), timezone.now()
        job.save()
        raise
    job.state, job.finished_at = Export.State.DONE, timezone.now()
    job.save()


def listed(job: Export) -> QuerySet:
    """The list the export was asked from, as its model's admin builds it for that person."""
    model = SHEETS[job.kind].model
    model_admin = admin.site.get_model_admin(model)
    opts = model._meta
    request = RequestFactory().get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), QueryDict(job.query)
    )
    request.user = job.requested_by
    if not model_admin.has_view_permission(request):  # taken away since the export was asked
        raise PermissionDenied(f"{job.requested_by} may no longer view {opts.verbose_name_plural}")
    return model_admin.exported_queryset(request)  # type: ignore[attr-defined]


def counted(lines: Iterable[list[str]], job: Export) -> Iterator[list[str]]:
    for line in lines:
        yield line
        job.rows_written += 1
        if job.rows_written % PROGRESS_EVERY == 0:
            job.save(update_fields=["rows_written"])
    job.save(update_fields=["rows_written"])
