# Written by hand: SQLite's counterpart of 0003's trigram index, on SQLite only.
#
# SQLite has no trigram index on a column, but its FTS5 extension has a trigram tokenizer: a
# virtual table of the bodies' trigrams that answers "which rows contain this text, in any
# letter case" (MATCH) without reading every post. It is an "external content" table: it keeps
# only the trigrams and reads bodies from blog_post, and three triggers keep it in step with
# every insert, update and delete, whoever makes them (the ORM, seed_demo, import_flask_db, raw
# SQL). blog/search.py queries it.
#
# Caution for later migrations: when Django alters blog_post on SQLite it rebuilds the table,
# which drops these triggers. tests/test_admin_search.py fails if that happens; re-create them
# in that migration.

from django.db import migrations
from django_migration_linter import IgnoreMigration

from blog.migration_operations import RunSQLOnSQLite

TRIGRAMS = [
    "CREATE VIRTUAL TABLE post_body_trigrams USING fts5("
    "body, content='blog_post', content_rowid='id', tokenize='trigram')",
    # Index the posts already there.
    "INSERT INTO post_body_trigrams (post_body_trigrams) VALUES ('rebuild')",
    "CREATE TRIGGER post_body_trigrams_insert AFTER INSERT ON blog_post BEGIN "
    "INSERT INTO post_body_trigrams (rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER post_body_trigrams_delete AFTER DELETE ON blog_post BEGIN "
    "INSERT INTO post_body_trigrams (post_body_trigrams, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER post_body_trigrams_update AFTER UPDATE ON blog_post BEGIN "
    "INSERT INTO post_body_trigrams (post_body_trigrams, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO post_body_trigrams (rowid, body) VALUES (new.id, new.body); END",
]
NO_TRIGRAMS = [
    "DROP TRIGGER post_body_trigrams_update",
    "DROP TRIGGER post_body_trigrams_delete",
    "DROP TRIGGER post_body_trigrams_insert",
    "DROP TABLE post_body_trigrams",
]


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0003_body_trigram_index_on_postgresql"),
    ]

    operations = [
        # Reviewed for the migration linters (make lint-migrations): lintmigrations reads the
        # reverse SQL too, where it sees DROP TABLE; the only table dropped is the side table this
        # migration makes, on rolling it back.
        IgnoreMigration(),
        RunSQLOnSQLite(TRIGRAMS, NO_TRIGRAMS),
    ]
