"""The background side of an import, run by django-tasks' database worker (`manage.py db_worker`,
started by `make run` and `make serve`), so no request waits for a big file or a big export."""

from django_tasks import task

from spreadsheets import exporting, importing
from spreadsheets.models import Export, Import


@task()
def check_import(import_id: int) -> None:
    importing.check(Import.objects.get(pk=import_id))


@task()
def write_import(import_id: int) -> None:
    importing.write(Import.objects.get(pk=import_id))


@task()
def write_export(export_id: int) -> None:
    exporting.write(Export.objects.get(pk=export_id))
