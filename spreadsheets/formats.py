"""CSV, XLSX and JSON, read and written one row at a time.

Every cell is text. A cell that a spreadsheet would run as a formula (it starts with =, +, -, @,
a tab or a carriage return) is written with an apostrophe in front, as OWASP advises for CSV
injection, and read back without it, so a file goes out and comes back unchanged. A cell that
already starts with an apostrophe gets a second one, for the same reason.
"""

import codecs
import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

FORMATS = {"csv": "CSV", "xlsx": "XLSX", "json": "JSON"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


class NotThatFormat(Exception):
    """The file is not the format its name claims (or is damaged past reading)."""


@dataclass
class Row:
    """One row of a file: where it is (`label`, as a person would find it), its cells by column,
    and what is wrong with its shape, if anything."""

    label: str
    cells: dict[str, str]
    problems: list[str] = field(default_factory=list)


def escaped(value: str) -> str:
    if value.startswith(FORMULA_STARTS) or value.startswith(QUOTE):
        return QUOTE + value
    return value


def unescaped(value: str) -> str:
    # Only an apostrophe that `escaped` could have added: a hand-written 'quoted' cell stays.
    if value.startswith(QUOTE) and value[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return value[1:]
    return value


def by_column(header: list[str], cells: list[str]) -> dict[str, str]:
    """A row's cells by column name; a short row's last cells are empty (it is refused anyway)."""
    cells = (cells + [""] * len(header))[: len(header)]
    return {name: unescaped(cell) for name, cell in zip(header, cells, strict=True)}


@contextmanager
def reading(path: str, file_format: str) -> Iterator[tuple[list[str], Iterator[Row]]]:
    """(header, rows) of the file at `path`. Raises NotThatFormat when it is not `file_format`,
    here or while its rows are read."""
    readers = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json}
    with open(path, "rb") as file:
        yield readers[file_format](file)


def _read_csv(file: IO[bytes]) -> tuple[list[str], Iterator[Row]]:
    start = file.read(4096)
    file.seek(0)
    if start.startswith(b"PK\x03\x04"):
        raise NotThatFormat("This is not a CSV file: it is a zip archive (an XLSX file?).")
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, [])
    except (UnicodeDecodeError, csv.Error) as error:
        raise NotThatFormat(f"This is not a UTF-8 CSV file ({error}).") from None
    header = [name.strip() for name in header]

    def rows() -> Iterator[Row]:
        try:
            for cells in reader:
                if not any(cells):
                    continue
                # The header is the file's row 1, as a spreadsheet numbers it.
                row = Row(f"row {reader.line_num}", {})
                if len(cells) != len(header):
                    row.problems.append(
                        f"has {len(cells)} cells where the header has {len(header)} columns"
                    )
                row.cells = by_column(header, cells)
                yield row
        except (UnicodeDecodeError, csv.Error) as error:
            raise NotThatFormat(
                f"This is not a UTF-8 CSV file past row {reader.line_num} ({error})."
            ) from None

    return header, rows()


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(file: IO[bytes]) -> tuple[list[str], Iterator[Row]]:
    try:
        # read_only streams the sheet's XML instead of building every cell at once.
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = [_xlsx_text(value).strip() for value in next(lines, ())]
    except (InvalidFileException, zipfile.BadZipFile, KeyError, IndexError, OSError):
        raise NotThatFormat("This is not an XLSX file (Excel's format since 2007).") from None
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[Row]:
        for number, values in enumerate(lines, start=2):
            cells = [_xlsx_text(value) for value in values]
            if not any(cells):
                continue
            row = Row(f"row {number}", {})
            if any(cells[len(header) :]):
                row.problems.append(f"has cells past the header's {len(header)} columns")
            row.cells = by_column(header, cells)
            yield row

    return header, rows()


def _read_json(file: IO[bytes]) -> tuple[list[str], Iterator[Row]]:
    # JSON is parsed whole (the standard library has no streaming parser); big files come as CSV.
    try:
        items = json.load(codecs.getreader("utf-8-sig")(file))
    except (UnicodeDecodeError, ValueError) as error:
        raise NotThatFormat(f"This is not a JSON file ({error}).") from None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise NotThatFormat("This JSON file is not a list of objects, one per row.")
    header = list(items[0]) if items else []

    def rows() -> Iterator[Row]:
        for number, item in enumerate(items, start=1):
            row = Row(f"object {number}", {})
            if list(item) != header:
                row.problems.append(
                    f"has the keys {', '.join(item) or 'none'}, not those of the first object"
                )
            for name in header:
                value = item.get(name)
                if value is not None and not isinstance(value, str | int):
                    row.problems.append(f"{name} is not text")
                row.cells[name] = "" if value is None else str(value)
            yield row

    return header, rows()


def csv_chunks(header: list[str], lines: Iterable[list[str]]) -> Iterator[bytes]:
    """The CSV file, a few hundred rows per chunk. UTF-8 with a byte order mark, which Excel
    needs to read it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for number, line in enumerate(lines, start=1):
        writer.writerow([escaped(cell) for cell in line])
        if number % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def json_chunks(header: list[str], lines: Iterable[list[str]]) -> Iterator[bytes]:
    """A JSON list of objects, one per line. No formula escaping: no spreadsheet opens JSON."""
    yield b"["
    separator = "\n"
    for line in lines:
        item = dict(zip(header, line, strict=True))
        yield (separator + json.dumps(item, ensure_ascii=False)).encode()
        separator = ",\n"
    yield b"\n]\n"


def write_xlsx(header: list[str], lines: Iterable[list[str]], file: IO[bytes]) -> None:
    """The XLSX file, written to `file`. openpyxl's write-only mode writes each row out as it
    comes, with its text inline, so memory stays flat whatever the size."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for line in lines:
        sheet.append([escaped(cell) for cell in line])
    workbook.save(file)


def xlsx_file(header: list[str], lines: Iterable[list[str]]) -> IO[bytes]:
    """The XLSX file, in a temporary file opened for reading."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    write_xlsx(header, lines, file)
    file.seek(0)
    return file


def write_file(
    file_format: str, header: list[str], lines: Iterable[list[str]], file: IO[bytes]
) -> None:
    """The whole file in `file_format`, written to `file` (as the worker writes big exports)."""
    if file_format == "xlsx":
        write_xlsx(header, lines, file)
        return
    chunks = csv_chunks if file_format == "csv" else json_chunks
    for chunk in chunks(header, lines):
        file.write(chunk)
