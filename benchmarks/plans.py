"""EXPLAIN on whichever backend Django is connected to, as lines of text: the tests' proof that an
index serves each page (tests/test_query_plans.py) and the page benchmark's record of it."""

import re
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

# A query that reads the posts table (rather than naming it, as a lookup in pg_class does).
READS_POSTS = re.compile(r"\bFROM [\"`]?blog_post\b")


def reads_posts(sql: str) -> bool:
    return bool(READS_POSTS.search(sql))


def explain(
    sql: str, params: Sequence[Any] | None = None, *, settings: Sequence[str] = ()
) -> list[str]:
    """The plan of `sql`; MariaDB's rows become `table key type extra` lines. `settings` are
    PostgreSQL `SET LOCAL` statements for this one EXPLAIN (e.g. "enable_seqscan = off")."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for setting in settings:
                cursor.execute(f"SET LOCAL {setting}")
        prefix = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
        # No params: the SQL a page ran arrives with its values in it, `%` signs and all.
        cursor.execute(f"{prefix} {sql}", params)
        rows = cursor.fetchall()
        if connection.vendor == "postgresql":
            return [line for (line,) in rows]
        if connection.vendor == "sqlite":
            return [" ".join(str(part) for part in row) for row in rows]
        columns = [column[0] for column in cursor.description]
    return [
        "{table} {key} {type} rows={rows} {Extra}".format(**dict(zip(columns, row, strict=True)))
        for row in rows
    ]
