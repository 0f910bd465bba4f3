"""The benchmark's schema check: it finds the same schema the same, and a missing DESC not."""

import sqlite3
from types import SimpleNamespace

from benchmarks import pages, schema
from benchmarks.raw_sqlite import SCHEMA, TRIGRAMS
from benchmarks.sqlalchemy_orm import SQLAlchemyORM


def build(path, ddl=SCHEMA):
    db = sqlite3.connect(path, isolation_level=None)  # autocommit, as RawSQLite
    db.executescript(ddl)
    for statement in TRIGRAMS:
        db.execute(statement)
    db.close()
    return schema.describe(path)


def test_sqlalchemys_models_make_the_schema_of_djangos_ddl(tmp_path):
    orm = SQLAlchemyORM(tmp_path / "sqlalchemy.db")
    orm.create_schema()
    orm.close()

    found = schema.describe(tmp_path / "sqlalchemy.db")

    assert schema.differences(build(tmp_path / "raw.db"), found) == []


def test_an_index_in_another_order_is_a_difference(tmp_path):
    ascending = SCHEMA.replace('"timestamp" DESC, "id" DESC', '"timestamp", "id"')

    [line] = schema.differences(build(tmp_path / "a.db"), build(tmp_path / "b.db", ascending))

    assert line.startswith("blog_post indexes:")
    assert "post_author_timeline_idx" in line


def page_results(queries_at_large_size, status=200):
    def page(queries, status):
        return {"status": status, "ms": 1.0, "queries": queries, "plans": [], "found": "1 post"}

    return {
        "sqlite": {
            1_000: {"seed seconds": 0.1, "pages": {"/": page(1, 200)}},
            10_000: {"seed seconds": 1.0, "pages": {"/": page(queries_at_large_size, status)}},
        }
    }


def test_the_page_benchmark_fails_a_page_whose_queries_grow_with_the_table(capsys):
    args = SimpleNamespace(sizes=[1_000, 10_000], explain=None)

    assert pages.report(page_results(1), args) == []
    assert pages.report(page_results(2), args) == ["sqlite /: [1, 2] queries as the table grows"]
    # One query fewer at the larger size is a plan the data chose, not a cost that grows.
    assert pages.report(page_results(0), args) == []
    assert pages.report(page_results(1, status=500), args) == ["sqlite / at 10,000: answered 500"]
    assert "| / | 1.0 ms | 1.0 ms | 1.00× | 1 | 1 post |" in capsys.readouterr().out
