"""Rebuild tests/fixtures/flask_dbs/: small SQLite databases of the Flask Mega-Tutorial's own
microblog (github.com/miguelgrinberg/microblog) at chapters 4, 5, 8 and 23, of both editions, for
the import tests (tests/test_import_flask_chapters.py and the others named test_import_flask_*).

Each schema is made by that chapter's own Alembic migrations (its `migrations/versions/`, run by
Alembic with a minimal env.py of ours: the chapter's env.py needs its whole Flask app, with mail,
search, Redis and the rest). The rows go in through SQLAlchemy with the values the chapter's models
write: werkzeug's `generate_password_hash` (the models' `set_password`), naive `datetime.utcnow()`
timestamps in the 2018 edition and aware `datetime.now(timezone.utc)` ones in the 2024 edition
(SQLite stores both as the same naive text), followers, profiles, messages, notifications and
tasks where the chapter has them, and two usernames Django refuses ("bob smith", "o'brien") from
chapter 8 on.

To rerun, with the project's venv (`make .venv/.installed`), from the project's root:

    git clone --mirror https://github.com/miguelgrinberg/microblog.git /tmp/microblog.git
    .venv/bin/python scripts/build_flask_fixtures.py /tmp/microblog.git

A mirror clone, because the 2018 edition is no longer on a branch: its commits survive in the
pull-request refs (refs/pull/400/head holds them all), which only `--mirror` fetches. The commits
are pinned below. Password salts are random, so a rebuild changes the files' bytes, not their
meaning.
"""

import argparse
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from werkzeug.security import generate_password_hash

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "flask_dbs"

# (edition, chapter): commit. The 2024 edition's are the tags v0.4 ... v0.23 of today's repository.
COMMITS = {
    ("2018", 4): "68368ea5c5e4b674e7661ef06891c1fb813588c8",
    ("2018", 5): "e7b1227a1cc4e1b2fc0eee1497176c94f145b4cf",
    ("2018", 8): "d1363e03260cf1c0cb4821e77ee3fafe70a67e4f",
    ("2018", 23): "3472187155ba60d36aa819cf4e6dbfeefeadf2fa",
    ("2024", 4): "d86cf37713471ea29853d4210a5fd5808fbfee78",
    ("2024", 5): "854708a5f3c55e40e07013fe11b7cae9642e1593",
    ("2024", 8): "790dc4572bf59f7a173cce04b706d79f85627931",
    ("2024", 23): "1cacb966923c1483fc2cd1560c9b8351a162cee7",
}

# The chapter's env.py reads the URL and metadata from the running Flask app; ours takes the
# connection it is given and runs the chapter's revisions, nothing else.
ENV_PY = """\
from alembic import context

context.configure(connection=context.config.attributes["connection"], target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
"""

PASSWORDS = {"mary": "mary's flask password", "bob smith": "bob's flask password"}


def moment(edition: str, *args: Any) -> datetime:
    """A timestamp as the edition's models hand it to SQLAlchemy."""
    naive = datetime(*args)
    return naive if edition == "2018" else naive.replace(tzinfo=UTC)


def password_hash(edition: str, chapter: int, username: str) -> str | None:
    """What the chapter's `set_password` stores; chapter 4 has no passwords yet."""
    if chapter < 5 or username not in PASSWORDS:
        return None
    if edition == "2018":
        # werkzeug 0.12's default then: pbkdf2:sha256, 50,000 iterations, an 8-character salt.
        return generate_password_hash(PASSWORDS[username], "pbkdf2:sha256:50000", salt_length=8)
    return generate_password_hash(PASSWORDS[username])  # today's werkzeug: scrypt


def rows(edition: str, chapter: int) -> dict[str, list[dict[str, Any]]]:
    """{table: [row]}; a column the chapter does not have is left out when inserting."""

    def t(*args: int) -> datetime:
        return moment(edition, *args)

    users: list[dict[str, Any]] = [
        {
            "id": 1,
            "username": "mary",
            "email": "mary@example.com",
            "about_me": "I write the first posts",
            "last_seen": t(2025, 3, 1, 10, 0, 0, 250000),
            "last_message_read_time": t(2025, 3, 1, 9, 0),
            "token": "f3a9c2d4e5b6a7980112233445566778",
            "token_expiration": t(2025, 3, 1, 11, 0),
        },
        {"id": 2, "username": "lucy", "email": "lucy@example.com", "about_me": ""},
        {"id": 3, "username": "Susan", "email": "Susan@Example.com"},
    ]
    if chapter >= 8:
        users += [
            {
                "id": 5,
                "username": "bob smith",
                "email": "bob@example.com",
                "about_me": "Space in my name",
                "last_seen": t(2025, 3, 2, 8, 30),
            },
            {"id": 6, "username": "o'brien", "email": "obrien@example.com"},
        ]
    for user in users:
        user["password_hash"] = password_hash(edition, chapter, user["username"])
    posts: list[dict[str, Any]] = [
        {"id": 1, "body": "my first post", "timestamp": t(2025, 3, 1, 9, 30, 0, 123456)},
        {"id": 2, "body": "hello from lucy", "timestamp": t(2025, 3, 1, 18, 0), "user_id": 2},
        {"id": 4, "body": "mary again", "timestamp": t(2025, 3, 2, 7, 15, 42, 500000)},
    ]
    for post in posts:
        post.setdefault("user_id", 1)
        # langdetect's guess (chapter 14); '' when it could not tell.
        post["language"] = {1: "en", 2: "", 4: "en"}[post["id"]]
    if chapter >= 8:
        posts.append(
            {"id": 7, "body": "bob's post", "timestamp": t(2025, 3, 2, 8, 0), "user_id": 5}
        )
    return {
        "user": users,
        "post": posts,
        "followers": [
            {"follower_id": 1, "followed_id": 2},
            {"follower_id": 2, "followed_id": 1},
            {"follower_id": 5, "followed_id": 1},
        ],
        "message": [
            {
                "id": 1,
                "sender_id": 2,
                "recipient_id": 1,
                "body": "hi mary",
                "timestamp": t(2025, 3, 1, 8, 0),
            },
            {
                "id": 2,
                "sender_id": 1,
                "recipient_id": 2,
                "body": "hi lucy",
                "timestamp": t(2025, 3, 1, 8, 5),
            },
        ],
        "notification": [
            {
                "id": 1,
                "name": "unread_message_count",
                "user_id": 2,
                "timestamp": 1740816300.0,
                "payload_json": "1",
            },
        ],
        "task": [
            {
                "id": "0b7e6a52-3f1d-4f7e-9a55-0c7f5f0e9d21",
                "name": "export_posts",
                "description": "Exporting posts...",
                "user_id": 1,
                "complete": True,
            },
        ],
    }


def checkout(mirror: Path, commit: str, into: Path) -> Path:
    """The commit's migrations/ folder, as files under `into`."""
    archive = subprocess.run(
        ["git", "--git-dir", str(mirror), "archive", commit, "migrations"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "migrations"


def build(mirror: Path, edition: str, chapter: int, path: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        migrations = checkout(mirror, COMMITS[edition, chapter], Path(scratch))
        (migrations / "env.py").write_text(ENV_PY)
        path.unlink(missing_ok=True)
        engine = sa.create_engine(f"sqlite:///{path}")
        config = Config()
        config.set_main_option("script_location", str(migrations))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.begin() as connection:
            for table_name, table_rows in rows(edition, chapter).items():
                if table_name not in metadata.tables:
                    continue
                table = metadata.tables[table_name]
                for row in table_rows:
                    connection.execute(
                        table.insert().values({k: v for k, v in row.items() if k in table.c})
                    )
        engine.dispose()
    # Small pages keep a file of a dozen tables and their indexes to a few KB.
    small = sqlite3.connect(path)
    small.execute("PRAGMA page_size = 512")
    small.execute("VACUUM")
    small.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mirror", type=Path, help="a `git clone --mirror` of the microblog repo")
    mirror = parser.parse_args().mirror
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for edition, chapter in COMMITS:
        path = FIXTURES / f"v0.{chapter}-{edition}.db"
        build(mirror, edition, chapter, path)
        print(f"{path.relative_to(PROJECT_ROOT)}: {path.stat().st_size:,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
