"""The benchmark's schema check: it finds the same schema the same, and a missing DESC not."""

import sqlite3

from benchmarks import schema
from benchmarks.raw_sqlite import SCHEMA
from benchmarks.sqlalchemy_orm import SQLAlchemyORM


def build(path, ddl=SCHEMA):
    sqlite3.connect(path).executescript(ddl)
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
