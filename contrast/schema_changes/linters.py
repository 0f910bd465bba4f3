"""The migration linters, as `make lint-migrations` and docs/schema-changes.md run them: squawk over
the PostgreSQL SQL of a migration (Django's `sqlmigrate`, Alembic's `upgrade --sql`), minus the
rules the migration's own review marks as exceptions. django-migration-linter needs no wrapper:
it is `manage.py lintmigrations`, configured in pyproject.toml."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Rules left out everywhere, and why. The others (renaming-column, ban-drop-column,
# changing-column-type, adding-required-field, require-concurrent-index-creation, ...) are what
# a review must answer for.
SQUAWK_EXCLUDED = {
    # Advice on designing a new table (text over varchar, bigint ids, identity columns,
    # timestamptz): the chapter's schema chose otherwise on purpose, and nothing here is unsafe.
    "prefer-text-field": "schema design, not safety",
    "prefer-bigint-over-int": "schema design, not safety",
    "prefer-identity": "schema design, not safety",
    "prefer-timestamp-tz": "schema design, not safety",
    # Both tools record what ran, and PostgreSQL rolls a failed migration back.
    "prefer-robust-stmts": "the tools record what ran; PostgreSQL rolls back a failed migration",
    # A statement timeout would cut short long work that blocks nobody (CREATE INDEX
    # CONCURRENTLY, a batched copy); what stops other writers is waiting for a lock.
    "require-statement-timeout": "a lock timeout bounds what others wait for; this would not",
    # Every statement that changes a table takes a lock; how long a migration may wait for one
    # is a setting of the connection that runs migrations, not of each file (scenario i).
    "require-lock-timeout": "set once for the connection that migrates (scenario i)",
}

# A reviewed exception, in the migration file itself: `# squawk-ignore RULE[, RULE]: why`.
IGNORE_COMMENT = re.compile(r"^\s*# squawk-ignore ([\w-]+(?:, [\w-]+)*): *(.*)$", re.M)


def squawk_ignores(migration: str) -> dict[str, str]:
    """{rule: why} for each reviewed exception the migration's source marks."""
    return {
        rule: why for rules, why in IGNORE_COMMENT.findall(migration) for rule in rules.split(", ")
    }


def squawk(sql: str, migrations: list[str]) -> list[str]:
    """squawk's findings on PostgreSQL `sql`, as `rule: message`, except the rules excluded above
    and those the `migrations` (the sources that wrote the SQL) mark as reviewed exceptions."""
    ignored = {rule for migration in migrations for rule in squawk_ignores(migration)}
    marked = f"-- squawk-ignore-file {', '.join(sorted(ignored))}\n" if ignored else ""
    result = subprocess.run(
        [
            squawk_program(),
            "--reporter=json",
            "--pg-version=15",
            f"--exclude={','.join(SQUAWK_EXCLUDED)}",
            "--stdin-filepath=migration.sql",
        ],
        input=marked + sql,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode not in (0, 1):  # 1: it found something
        raise RuntimeError(f"squawk failed: {result.stderr.strip()}")
    return [
        f"{finding['rule_name']}: {finding['message']}" for finding in json.loads(result.stdout)
    ]


def lintmigrations_findings(output: str) -> list[str]:
    """django-migration-linter's verdict on one migration, from what `manage.py lintmigrations
    APP NAME` printed: [] when it passes (OK, or IGNORE for a reviewed exception), else one
    `ERR: ...` or `WARNING: ...` per finding."""
    verdict = re.search(r"^\(\w+, \w+\)\.\.\. (ERR|WARNING)$((?:\n\t.*)*)", output, re.M)
    if verdict is None:
        return []
    # "ALTERING columns (Could be backward compatible...) (table: post, column: body)": the kind.
    return [
        f"{verdict[1]}: {line.strip().split(' (')[0]}" for line in verdict[2].splitlines() if line
    ]


def squawk_program() -> str:
    """squawk-cli's binary, installed beside this Python (requirements-dev.txt)."""
    beside = Path(sys.executable).parent / "squawk"
    found = str(beside) if beside.exists() else shutil.which("squawk")
    if found is None:
        raise RuntimeError("squawk is not installed: pip install -r requirements-dev.txt")
    return found
