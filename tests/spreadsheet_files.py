"""Helpers for the import and export tests: files made in memory, uploads through the admin."""

import csv
import io
import json

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from spreadsheets.models import Import

TASKS_RUN_AT_ONCE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def csv_file(rows: list[list[str]], name: str = "rows.csv") -> SimpleUploadedFile:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode())


def xlsx_file(rows: list[list[object]], name: str = "rows.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(row)
        # Text as typed into a cell formatted as text: "=1+1" stays text, not a formula.
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    content = io.BytesIO()
    workbook.save(content)
    return SimpleUploadedFile(name, content.getvalue())


def json_file(rows: list[list[str]], name: str = "rows.json") -> SimpleUploadedFile:
    header, *lines = rows
    items = [dict(zip(header, line, strict=True)) for line in lines]
    return SimpleUploadedFile(name, json.dumps(items).encode())


def upload(client, model_name: str, file: SimpleUploadedFile) -> Import:
    """Upload `file` to the admin's import page for `model_name` ("post" or "user"); the
    ImmediateBackend checks it before the redirect. Returns the import."""
    app = "blog" if model_name == "post" else "accounts"
    response = client.post(reverse(f"admin:{app}_{model_name}_import"), {"file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Import.objects.latest("pk")


def status_url(job: Import) -> str:
    app = "blog" if job.kind == "posts" else "accounts"
    return reverse(f"admin:{app}_{job.kind[:-1]}_import_status", args=[job.pk])


def confirm(client, job: Import) -> Import:
    assert client.post(status_url(job)).status_code == 302
    job.refresh_from_db()
    return job


def status_page(client, job: Import) -> str:
    response = client.get(status_url(job))
    assert response.status_code == 200
    return response.content.decode()
