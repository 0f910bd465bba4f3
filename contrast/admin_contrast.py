"""docs/admin-contrast.md's generated blocks: the table of steps (each side's outcome, from
tests/test_admin_contrast.py's run) and the lines of code each admin took, counted here; and the
hostile-input counts as JSON beside the page's table (docs/data/admin-contrast-hostile.json, which
`make plots` draws).

    .venv/bin/python -m contrast.admin_contrast   # prints the line counts
    make admin-contrast                           # runs the steps and rewrites both blocks
"""

import ast
import io
import json
import os
import re
import time
import tokenize
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "admin-contrast.md"
HOSTILE_RESULTS = ROOT / "docs" / "data" / "admin-contrast-hostile.json"
# Taken by tests/test_admin_contrast_browser.py.
SCREENSHOTS = ROOT / "docs" / "admin-contrast"
SIDES = ["Django admin", "Flask-Admin as documented", "Flask-Admin hardened"]
# Django's vendor names, as the page and the hostile-input results name each backend.
BACKEND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}
TWIN_ADMIN = "contrast/flask_app_2024/admin"

# What each side wrote for its admin, by part: (side, part, files). Generated files (the
# Alembic revision, Django's migrations) are not counted.
WRITTEN = [
    (
        "Django admin",
        "pages, forms, permissions",
        ["accounts/admin.py", "accounts/forms.py", "blog/admin.py", "blog/templates/admin/**/*"],
    ),
    ("Django admin", "search on a word index", ["blog/search.py"]),
    (
        "Django admin",
        "import and export",
        ["spreadsheets/[!_]*.py", "spreadsheets/templates/**/*"],
    ),
    ("Flask-Admin as documented", "pages", [f"{TWIN_ADMIN}/documented.py"]),
    (
        "Flask-Admin hardened",
        "pages, login, permissions",
        [f"{TWIN_ADMIN}/hardened.py", f"{TWIN_ADMIN}/models.py", f"{TWIN_ADMIN}/templates/**/*"],
    ),
]
SKIPPED_TOKENS = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}


def python_lines(source: str) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
                and first.end_lineno is not None
            ):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in SKIPPED_TOKENS:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def template_lines(source: str) -> int:
    """Lines that are not blank and not only a `{# comment #}`."""
    return sum(
        1
        for line in source.splitlines()
        if line.strip() and not re.fullmatch(r"\s*\{#.*#\}\s*", line)
    )


def files_of(patterns: list[str]) -> list[Path]:
    found = {path for pattern in patterns for path in ROOT.glob(pattern) if path.is_file()}
    return sorted(path for path in found if "migrations" not in path.parts)


def counts_table() -> str:
    rows = [
        "<!-- admin-lines -->",
        "| side | part | files | lines of Python | lines of template |",
        "|---|---|---|---:|---:|",
    ]
    for side, part, patterns in WRITTEN:
        files = files_of(patterns)
        python = sum(
            python_lines(f.read_text(encoding="utf-8")) for f in files if f.suffix == ".py"
        )
        html = sum(
            template_lines(f.read_text(encoding="utf-8")) for f in files if f.suffix == ".html"
        )
        names = ", ".join(f"`{pattern}`" for pattern in patterns)
        rows.append(f"| {side} | {part} | {names} | {python} | {html} |")
    rows.append("<!-- /admin-lines -->")
    return "\n".join(rows) + "\n"


def steps_table(outcomes: dict[str, dict[str, str]]) -> str:
    """A row per step, a column per side, in the order the steps ran."""
    rows = [
        "<!-- admin-steps -->",
        f"| step | {' | '.join(SIDES)} |",
        "|---" * (len(SIDES) + 1) + "|",
    ]
    for step in outcomes[SIDES[0]]:
        cells = [outcomes[side][step].replace("|", "\\|") for side in SIDES]
        rows.append(f"| {step} | {' | '.join(cells)} |")
    rows.append("<!-- /admin-steps -->")
    return "\n".join(rows) + "\n"


def block(name: str) -> re.Pattern[str]:
    return re.compile(rf"^<!-- {name} -->\n.*?^<!-- /{name} -->\n", re.MULTILINE | re.DOTALL)


def rewritten(text: str, outcomes: dict[str, dict[str, str]]) -> str:
    """The page with both generated blocks made again."""
    text = block("admin-steps").sub(lambda _: steps_table(outcomes), text)
    return block("admin-lines").sub(lambda _: counts_table(), text)


if __name__ == "__main__":
    print(counts_table(), end="")


def hostile_block_name(vendor: str) -> str:
    """The page's block for a run on this backend (Django's vendor name): SQLite's is the first."""
    return "admin-hostile" if vendor == "sqlite" else f"admin-hostile-{vendor}"


def hostile_table(tallies: dict[str, Any], vendor: str) -> str:
    """tests/test_admin_hostile_input.py's counts on one backend: per kind of input, each side's
    5xx answers of the requests sent, and the forms saved with that value; then what raised each
    distinct 5xx."""
    sides = [side for side in SIDES if side in tallies]
    name = hostile_block_name(vendor)
    rows = [
        f"<!-- {name} -->",
        f"| input | {' | '.join(sides)} |",
        "|---" + "|---:" * len(sides) + "|",
    ]
    for kind in tallies[sides[0]].sent:
        cells = [
            f"{tallies[s].failed[kind]} of {tallies[s].sent[kind]}; {tallies[s].stored[kind]} saved"
            for s in sides
        ]
        rows.append(f"| {kind} | {' | '.join(cells)} |")
    totals = [
        f"**{sum(tallies[s].failed.values())} of {sum(tallies[s].sent.values())}**" for s in sides
    ]
    rows.append(f"| **5xx, all inputs** | {' | '.join(totals)} |")
    wrote = [str(len(tallies[s].wrote_when_refused)) for s in sides]
    rows.append(f"| refused, yet a row written | {' | '.join(wrote)} |")
    rows.append("")
    for side in sides:
        for raised in sorted(tallies[side].raised):
            rows.append(f"- {side}: `{raised}`")
    rows.append(f"<!-- /{name} -->")
    return "\n".join(rows) + "\n"


def with_hostile_block(text: str, tallies: dict[str, Any], vendor: str) -> str:
    return block(hostile_block_name(vendor)).sub(lambda _: hostile_table(tallies, vendor), text)


def hostile_counts(tallies: dict[str, Any]) -> dict[str, Any]:
    """One backend's hostile-input table's counts, per side and kind of input, as the JSON holds
    them."""
    return {
        side: {
            "sent": tallies[side].sent,
            "5xx": tallies[side].failed,
            "saved": tallies[side].stored,
            "refused, yet a row written": len(tallies[side].wrote_when_refused),
        }
        for side in SIDES
        if side in tallies
    }


def write_hostile_results(tallies: dict[str, Any], vendor: str) -> None:
    """This backend's counts into the JSON, beside the other backends' (make admin-contrast runs
    the test on each in turn)."""
    backends = {}
    if HOSTILE_RESULTS.exists():
        backends = json.loads(HOSTILE_RESULTS.read_text(encoding="utf-8"))["backends"]
    backends[BACKEND_LABELS[vendor]] = hostile_counts(tallies)
    results = {
        "shows": "hostile input through each admin's forms and lists, per backend: the 5xx answers"
        " of the requests sent, and the forms saved with such a value, per kind of input",
        "source": "written by make admin-contrast (tests/test_admin_hostile_input.py, which checks"
        " each backend's counts against a run on it)",
        "measured": time.strftime("%Y-%m-%d", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "command": "make admin-contrast",
        "backends": {
            label: backends[label] for label in BACKEND_LABELS.values() if label in backends
        },
    }
    text = json.dumps(results, indent=1, ensure_ascii=False) + "\n"
    HOSTILE_RESULTS.write_text(text, encoding="utf-8")
