"""The background side of an import, run by django-tasks' database worker (`manage.py db_worker`,
started by `make run` and `make serve`), so no request waits for a big file or a big export.

Each task may run again after the database went away under it (see the worker's command): an
import's write commits with its new state, a check and an export start over."""

from django_tasks import task

from spreadsheets import exporting, importing
from spreadsheets.models import Export, Import


@task()
def check_import(import_id: int) -> None:
    job = Import.objects.get(pk=import_id)
    with importing.failure_recorded(job):
        importing.check(job)


@task()
def write_import(import_id: int) -> None:
    job = Import.objects.get(pk=import_id)
    with importing.failure_recorded(job):
        importing.write(job)


@task()
def write_export(export_id: int) -> None:
    exporting.write(Export.objects.get(pk=export_id))
