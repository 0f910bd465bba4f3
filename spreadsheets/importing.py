"""Importing a file in two steps, each run by the background worker (spreadsheets/tasks.py):

1. `check`: read the whole file, a batch of rows at a time, and record what each row would do
   and what is wrong with any, writing nothing to users or posts. The admin shows the result.
2. `write`, once a person confirms: write the rows in one transaction, checking again what the
   database may have changed meanwhile. One row gone bad rolls it all back. Posts are written
   from the plan the check left beside the upload (each row as checked, with its outcome), with
   only their authors and identities checked again, a batch per query (PostSheet.write_plan);
   users are read from the file and checked again in full (their checks are mostly against the
   database).

The file is never held in memory whole (except JSON, see formats.py): one batch at a time.
"""

import contextlib
import csv
import os
from collections.abc import Iterator
from typing import Any

from django.contrib.admin.models import ADDITION, LogEntry
from django.db import transaction

from spreadsheets.formats import NotThatFormat, reading
from spreadsheets.models import Import
from spreadsheets.sheets import CONTROL_CHARACTERS, SHEETS, Outcome, Refused, Sheet

BATCH = 1_000
PREVIEW_ROWS = 1_000
MAX_PROBLEMS = 1_000


def check(job: Import) -> None:
    sheet = SHEETS[job.kind]()
    # From the first row, also when run again after the database went away under it.
    job.rows_checked = 0
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    problems: list[dict[str, str]] = []
    problem_count = 0
    preview: list[dict] = []
    try:
        with keeping_plan(job, sheet) as plan:
            for outcomes in checked_batches(job, sheet):
                for checked in outcomes:
                    problem_count += len(checked.problems)
                    for problem in checked.problems:
                        if len(problems) < MAX_PROBLEMS:
                            problems.append({"row": checked.row.label, "problem": problem})
                    if checked.outcome:
                        counts[checked.outcome] += 1
                    if len(preview) < PREVIEW_ROWS:
                        preview.append(preview_line(checked, sheet))
                    if (
                        plan is not None and not problem_count
                    ):  # after a problem the plan is thrown away
                        plan.writerow(sheet.planned(checked))
                job.rows_checked += len(outcomes)
                # Progress for the admin's page, which reloads itself while the worker runs.
                job.save(update_fields=["rows_checked"])
    except NotThatFormat as error:
        problems.insert(0, {"row": "the file", "problem": str(error)})
        problem_count += 1
    job.new, job.updated, job.unchanged = counts["new"], counts["updated"], counts["unchanged"]
    job.problems, job.problem_count, job.preview = problems, problem_count, preview
    job.state = Import.State.REFUSED if problem_count else Import.State.CHECKED
    job.save()
    if problem_count:
        record_in_history(job)
        forget_file(job)


def write(job: Import) -> None:
    """Writes the rows, the import's new state and its history entry in one transaction: all of
    it or none. So the worker may run it again after the database went away under it: a
    rolled-back write finds the import still WRITING and writes it, a committed one (its answer
    lost) finds it DONE or REFUSED and does nothing."""
    sheet = SHEETS[job.kind]()
    with transaction.atomic():
        # Locked, so that a second run of the same import waits for the first and then finds it
        # written.
        job = Import.objects.select_for_update().get(pk=job.pk)
        if job.state != Import.State.WRITING:
            return
        try:
            counts = write_rows(job, sheet)
        except (Refused, NotThatFormat) as error:
            # Something changed since the check (another import, an edit in the admin).
            found = (
                error.problems
                if isinstance(error, Refused)
                else [{"row": "the file", "problem": str(error)}]
            )
            job.problems, job.problem_count = found[:MAX_PROBLEMS], len(found)
            job.state = Import.State.REFUSED
        else:
            job.new, job.updated, job.unchanged = (
                counts["new"],
                counts["updated"],
                counts["unchanged"],
            )
            job.state = Import.State.DONE
        job.save()
        record_in_history(job)
    forget_file(job)


def write_rows(job: Import, sheet: Sheet) -> dict[str, int]:
    """Writes all the rows and counts them, or, raising Refused, none: rolled back to a
    savepoint, so that the refusal itself is recorded in the same transaction."""
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        if sheet.keeps_plan:
            at_check = {"new": job.new, "updated": job.updated, "unchanged": job.unchanged}
            counts = sheet.write_plan(lambda: read_plan(job), at_check)
        else:
            for outcomes in checked_batches(job, sheet):
                refused = [o for o in outcomes if o.problems]
                if refused:
                    raise Refused(
                        [
                            {"row": o.row.label, "problem": problem}
                            for o in refused
                            for problem in o.problems
                        ]
                    )
                sheet.write(outcomes)
                for checked in outcomes:
                    counts[checked.outcome] += 1
        sheet.finish_writing()
    return counts


@contextlib.contextmanager
def failure_recorded(job: Import) -> Iterator[None]:
    """An error in a check or write (not the file's fault: those are refusals) fails the import,
    with the error as the reason, and goes on to the worker. While the database is
    away the failure cannot be recorded: the worker then waits for it and runs the task again."""
    try:
        yield
    except Exception as error:
        job.state, job.error = Import.State.FAILED, f"{type(error).__name__}: {error}"[:1000]
        job.save(update_fields=["state", "error"])
        raise


def checked_batches(job: Import, sheet: Sheet) -> Iterator[list[Outcome]]:
    """The file's rows, checked, BATCH at a time; a header problem refuses the whole file."""
    with reading(job.path, job.file_format) as (header, rows):
        header_problems(header, sheet)
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                yield sheet.check(batch)
                batch = []
        if batch:
            yield sheet.check(batch)


def plan_path(job: Import) -> str:
    return f"{job.path}.plan.csv"


@contextlib.contextmanager
def keeping_plan(job: Import, sheet: Sheet) -> Iterator[Any]:
    """A CSV writer for the plan of a sheet that keeps one (None for one that does not)."""
    if not sheet.keeps_plan:
        yield None
        return
    with open(plan_path(job), "w", encoding="utf-8", newline="") as file:
        yield csv.writer(file)


def read_plan(job: Import) -> Iterator[list[str]]:
    with open(plan_path(job), encoding="utf-8", newline="") as file:
        yield from csv.reader(file)


def header_problems(header: list[str], sheet: Sheet) -> None:
    unknown = [name for name in header if name not in sheet.columns]
    missing = [name for name in sheet.required if name not in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown) or '(a blank name)'}")
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if repeated:
        problems.append(f"columns named twice: {', '.join(repeated)}")
    if problems:
        raise NotThatFormat(
            f"The header is wrong ({'; '.join(problems)}). "
            f"A file of {sheet.model._meta.verbose_name_plural} has the columns "
            f"{', '.join(sheet.columns)}; required: {', '.join(sheet.required)}."
        )


def preview_line(checked: Outcome, sheet: Sheet) -> dict:
    # Control characters shown as U+FFFD: PostgreSQL's jsonb cannot even store a NUL.
    cells = [checked.row.cells.get(name, "") for name in sheet.columns]
    return {
        "row": checked.row.label,
        "outcome": checked.outcome or "refused",
        "cells": [CONTROL_CHARACTERS.sub("\ufffd", cell) for cell in cells],
    }


def record_in_history(job: Import) -> None:
    """The admin's history of this import (and its "Recent actions"), with the counts."""
    if job.uploaded_by_id is None:  # the uploader's account was deleted meanwhile
        return
    if job.state == Import.State.DONE:
        message = (
            f"Imported {job.kind} from {job.file_name}: {job.new} new, {job.updated} updated, "
            f"{job.unchanged} unchanged."
        )
    else:
        message = (
            f"Refused {job.kind} from {job.file_name}: {job.problem_count} "
            f"problem{'s' if job.problem_count != 1 else ''}, nothing written."
        )
    LogEntry.objects.log_actions(
        user_id=job.uploaded_by_id,
        queryset=[job],
        action_flag=ADDITION,
        change_message=message,
        single_object=True,
    )


def forget_file(job: Import) -> None:
    """Removes the upload and its plan."""
    for path in (job.path, plan_path(job)):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
