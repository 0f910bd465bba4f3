"""The floor: Python's sqlite3 module and hand-written SQL, no ORM."""

import importlib
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks import PostRow, UserRow

# Django's DDL for our two tables as `migrate` leaves them, so the floor runs on exactly the
# schema the app has; benchmarks/schema.py checks that it does. (`password` and `timestamp` come
# last because accounts/0002_password_256 and blog/0002_newest_first_index altered them, and
# SQLite alters a column by rebuilding the table with that column at the end.)
SCHEMA = """
CREATE TABLE "accounts_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "last_login" datetime NULL, "is_superuser" bool NOT NULL, "is_staff" bool NOT NULL,
    "is_active" bool NOT NULL, "date_joined" datetime NOT NULL,
    "username" varchar(64) NOT NULL UNIQUE, "email" varchar(120) NOT NULL UNIQUE,
    "password" varchar(256) NOT NULL);
CREATE UNIQUE INDEX "user_username_ci_unique" ON "accounts_user" ((LOWER("username")));
CREATE UNIQUE INDEX "user_email_ci_unique" ON "accounts_user" ((LOWER("email")));
CREATE TABLE "blog_post" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "body" varchar(140) NOT NULL,
    "author_id" bigint NOT NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED,
    "timestamp" datetime NOT NULL,
    CONSTRAINT "post_body_max_140" CHECK (LENGTH("body") <= 140));
CREATE INDEX "post_newest_first_idx" ON "blog_post" ("timestamp" DESC, "id" DESC);
CREATE INDEX "post_author_timeline_idx" ON "blog_post" ("author_id", "timestamp" DESC, "id" DESC);
"""
# SQLite's trigram table for the admin's search and the triggers that fill it, as the app's
# migration creates them: every contender's inserts pay for it, as the app's do.
TRIGRAMS = importlib.import_module("blog.migrations.0004_body_trigram_table_on_sqlite").TRIGRAMS
INSERT_USER = (
    "INSERT INTO accounts_user (password, last_login, is_superuser, is_staff, is_active, "
    "date_joined, username, email) VALUES (?, NULL, 0, 0, 1, ?, ?, ?)"
)
INSERT_POST = "INSERT INTO blog_post (body, timestamp, author_id) VALUES (?, ?, ?)"
TIMELINE = (
    "SELECT id, body, timestamp FROM blog_post WHERE author_id = ? "
    "ORDER BY timestamp DESC, id DESC LIMIT 20"
)
PUBLIC_PAGE = (
    "SELECT p.id, p.body, p.timestamp, u.username FROM blog_post p "
    "JOIN accounts_user u ON u.id = p.author_id ORDER BY p.timestamp DESC, p.id DESC LIMIT 20"
)
POSTS_PER_USER = "SELECT author_id, COUNT(*) FROM blog_post GROUP BY author_id"


def as_text(moment: datetime) -> str:
    """Django's own SQLite format for an aware UTC datetime (naive text, microseconds)."""
    return str(moment.replace(tzinfo=None))


class RawSQLite:
    name = "raw sqlite3"

    def __init__(self, path: Path) -> None:
        # Autocommit (isolation_level=None): we say BEGIN and COMMIT ourselves, as Django does.
        self.db = sqlite3.connect(path, isolation_level=None)
        # The connection settings Django uses here (microblog/database.py): WAL, NORMAL sync,
        # foreign keys on.
        self.db.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        )
        self.queries = 0

    def create_schema(self) -> None:
        self.db.executescript(SCHEMA)
        for statement in TRIGRAMS:
            self.db.execute(statement)

    def load_users(self, users: Sequence[UserRow]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany(
            INSERT_USER, [(pw, as_text(joined), name, email) for name, email, pw, joined in users]
        )
        self.db.execute("COMMIT")

    def load_posts(self, batch: Sequence[PostRow]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany(
            INSERT_POST, [(body, as_text(moment), author) for body, moment, author in batch]
        )
        self.db.execute("COMMIT")

    def timeline(self, author_id: int) -> list[Any]:
        self.queries += 1
        return self.db.execute(TIMELINE, (author_id,)).fetchall()

    def public_page(self) -> list[Any]:
        self.queries += 1
        return self.db.execute(PUBLIC_PAGE).fetchall()

    def posts_per_user(self) -> list[Any]:
        self.queries += 1
        return self.db.execute(POSTS_PER_USER).fetchall()

    def insert_one(self, body: str, moment: datetime, author_id: int) -> None:
        self.db.execute(INSERT_POST, (body, as_text(moment), author_id))

    def close(self) -> None:
        self.db.close()
