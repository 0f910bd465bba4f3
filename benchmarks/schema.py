"""A SQLite file's users and posts tables, described, to prove all three runs used one schema."""

import re
import sqlite3
from pathlib import Path
from typing import Any

TABLES = ("accounts_user", "blog_post")


def affinity(declared: str) -> str:
    """SQLite's type affinity rules: `bool` and `BOOLEAN`, `varchar(64)` and `VARCHAR(64)` match."""
    declared = declared.upper()
    if "INT" in declared:
        return "INTEGER"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    return "NUMERIC"


def describe(path: Path) -> dict[str, dict[str, Any]]:
    """Columns, keys, indexes (with column order and direction) and constraints of TABLES."""
    db = sqlite3.connect(path)
    shape: dict[str, dict[str, Any]] = {}
    for table in TABLES:
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        columns = [
            (name, affinity(kind), bool(notnull), pk)
            for _, name, kind, notnull, _, pk in db.execute(f"PRAGMA table_info({table})")
        ]
        foreign_keys = sorted(
            (row[2], row[3], row[4]) for row in db.execute(f"PRAGMA foreign_key_list({table})")
        )
        indexes: dict[str, tuple[bool, list[tuple[str, bool]]]] = {}
        for _, index, unique, _, _ in db.execute(f"PRAGMA index_list({table})"):
            keys = [
                (name or "<expression>", bool(desc))
                for _, _, name, desc, _, key in db.execute(f"PRAGMA index_xinfo({index})")
                if key
            ]
            indexes[index] = (bool(unique), keys)
        shape[table] = {
            "columns": columns,
            "foreign keys": foreign_keys,
            "indexes": indexes,
            "autoincrement": "AUTOINCREMENT" in sql.upper(),
            "triggers": sorted(
                name
                for (name,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                    (table,),
                )
            ),
            "checks": re.findall(r"CHECK\s*\((.*?)\)\)?", sql.replace('"', "").upper()),
        }
    db.close()
    return shape


def differences(
    reference: dict[str, dict[str, Any]], other: dict[str, dict[str, Any]]
) -> list[str]:
    """Human-readable lines for every way `other` differs from `reference` (empty: the same)."""
    lines = []
    for table in TABLES:
        for part, expected in reference[table].items():
            found = other[table][part]
            if found != expected:
                lines.append(f"{table} {part}: expected {expected!r}, found {found!r}")
    return lines
