"""Exporting the admin's user and post lists as they are filtered, as CSV, XLSX and JSON: cells
that a spreadsheet would run as formulas escaped, and a file that imports back unchanged."""

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blog.models import Post
from tests.factories import PostFactory, UserFactory
from tests.spreadsheet_files import TASKS_RUN_AT_ONCE, confirm, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tasks_at_once(settings, tmp_path):
    settings.TASKS = TASKS_RUN_AT_ONCE
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "imports")


@pytest.fixture
def posts():
    mary, lucy = UserFactory(username="mary"), UserFactory(username="lucy")
    for author, body, day in [
        (mary, '=HYPERLINK("http://evil.example","coffee")', 1),
        (mary, "+1 for coffee", 2),
        (lucy, "-coffee is bad", 3),
        (lucy, "@mary coffee?", 4),
        (mary, "'quoted' coffee, \"double\", and a\nline break", 5),
        (mary, "tea, not that drink", 6),
        (lucy, "coffee in March", 20),
    ]:
        PostFactory(author=author, body=body, timestamp=datetime(2026, 3, day, 12, tzinfo=UTC))


def export(client, model_name: str, file_format: str, **params) -> bytes:
    app = "blog" if model_name == "post" else "accounts"
    url = reverse(f"admin:{app}_{model_name}_export", args=[file_format])
    response = client.get(url, params)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def rows_of(content: bytes, file_format: str) -> list[list[Any]]:
    if file_format == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    if file_format == "json":
        items = json.loads(content)
        return [list(items[0])] + [list(item.values()) for item in items]
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_the_filtered_post_list_is_exported(admin_client, posts, file_format):
    content = export(
        admin_client, "post", file_format, q="coffee", timestamp__range__lte="2026-03-10"
    )

    header, *rows = rows_of(content, file_format)
    assert header == ["id", "author", "body", "timestamp"]
    # Newest first, only what the search and the date range show.
    assert [row[1] for row in rows] == ["mary", "lucy", "lucy", "mary", "mary"]
    assert rows[-1][3] == "2026-03-01T12:00:00+00:00"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_cells_a_spreadsheet_would_run_are_escaped(admin_client, posts, file_format):
    content = export(admin_client, "post", file_format, q="coffee")

    bodies = sorted(row[2] for row in rows_of(content, file_format)[1:])
    # An apostrophe in front; one already there gets a second, so importing takes one off.
    assert [body[:3] for body in bodies] == ["''q", "'+1", "'-c", "'=H", "'@m", "cof"]
    if file_format == "xlsx":
        # Text cells, not formulas, even when read back as a workbook.
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
        assert {cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row} == {"s"}


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_an_exported_post_list_imports_back_unchanged(admin_client, posts, file_format):
    before = sorted(Post.objects.values_list("id", "author", "body", "timestamp"))
    content = export(admin_client, "post", file_format)

    job = upload(admin_client, "post", SimpleUploadedFile(f"posts.{file_format}", content))

    assert (job.new, job.updated, job.unchanged, job.problems) == (0, 0, 7, [])
    confirm(admin_client, job)
    assert sorted(Post.objects.values_list("id", "author", "body", "timestamp")) == before
    # And out again, the same file.
    assert rows_of(export(admin_client, "post", file_format), file_format) == rows_of(
        content, file_format
    )


def test_an_exported_post_list_fills_an_empty_database(admin_client, posts):
    content = export(admin_client, "post", "csv")
    kept = sorted(Post.objects.values_list("id", "author__username", "body", "timestamp"))
    Post.objects.all().delete()

    confirm(admin_client, upload(admin_client, "post", SimpleUploadedFile("p.csv", content)))

    assert sorted(Post.objects.values_list("id", "author__username", "body", "timestamp")) == kept
    # New posts get ids past the imported ones (PostgreSQL's sequence was moved on).
    assert PostFactory().pk > max(row[0] for row in kept)


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_an_exported_user_list_imports_back_unchanged(admin_client, posts, file_format):
    content = export(admin_client, "user", file_format, q="mary")

    header, *rows = rows_of(content, file_format)
    assert header == ["username", "email", "password", "date_joined"]
    # No password hashes leave the database.
    assert [row[:3] for row in rows] == [["mary", "mary@example.com", ""]]
    job = upload(admin_client, "user", SimpleUploadedFile(f"users.{file_format}", content))
    assert (job.new, job.updated, job.unchanged, job.problems) == (0, 0, 1, [])
