"""The chapter's users and posts, put into a scratch database and read back by SQL, the same way
for both tools (their tables have the same names)."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

USERS = [
    {"id": 1, "username": "mary", "email": "Mary@Mail.com", "password_hash": "hash-of-mary"},
    {"id": 2, "username": "lucy", "email": "lucy@mail.com", "password_hash": "hash-of-lucy"},
]
POSTS = [
    {"id": 1, "body": "This is my first post with Microblog!", "user_id": 1},
    {"id": 2, "body": "A second post from mary", "user_id": 1},
    {"id": 3, "body": "Hello from lucy", "user_id": 2},
]
TIMESTAMP = datetime(2026, 12, 1, 6, 0)

user = sa.table(
    "user", sa.column("id"), sa.column("username"), sa.column("email"), sa.column("password_hash")
)


def post_table(name: str = "post", body: str = "body") -> sa.TableClause:
    return sa.table(name, sa.column("id"), sa.column(body), sa.column("user_id"))


@dataclass
class Facts:
    """What a data check found: whether the data is what the change should leave (`kept`: the
    chapter's rows and values all there, changed only as the scenario means), and what it saw."""

    kept: bool
    detail: str


def seed(connection: sa.Connection) -> None:
    connection.execute(sa.insert(user), USERS)
    post = sa.table("post", *(sa.column(c) for c in ("id", "body", "timestamp", "user_id")))
    connection.execute(sa.insert(post), [{**p, "timestamp": TIMESTAMP} for p in POSTS])
    if connection.dialect.name == "postgresql":
        # Rows inserted with their ids leave the sequences behind; a later insert would collide.
        for table in ("user", "post"):
            connection.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), 10)")
            )


def seed_posts(connection: sa.Connection, count: int) -> None:
    """`count` more posts by mary: a posts table of the size a scenario asks for. The rows are
    made by the server from a number series (a million in seconds, not minutes of round trips)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        numbers = "SELECT n FROM generate_series(1, :count) AS n"
    elif dialect == "mysql":
        # MariaDB's Sequence engine: seq_1_to_N is a table of the numbers 1 to N.
        numbers = f"SELECT seq AS n FROM seq_1_to_{int(count)}"
    else:
        numbers = (
            "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers"
            " WHERE n < :count) SELECT n FROM numbers"
        )
    concat = "'post ' || n" if dialect != "mysql" else "CONCAT('post ', n)"
    connection.execute(
        sa.text(
            f"INSERT INTO post (body, timestamp, user_id) SELECT {concat}, :timestamp, 1"
            f" FROM ({numbers}) AS series"
        ),
        {"count": count, "timestamp": TIMESTAMP},
    )


def bodies(connection: sa.Connection, table: str = "post", column: str = "body") -> Facts:
    """Every post's text, in the table and column named."""
    post = post_table(table, column)
    expected = {p["id"]: p["body"] for p in POSTS}
    # Only the chapter's posts: a table under load holds a million more.
    found: dict[object, object] = {
        id: body
        for id, body in connection.execute(
            sa.select(post.c.id, post.c[column]).where(post.c.id.in_(list(expected)))
        )
    }
    kept = sum(found.get(id) == body for id, body in expected.items())
    return Facts(kept == len(expected), f"{kept}/{len(expected)} post texts in {table}.{column}")


def password_hashes(connection: sa.Connection) -> Facts:
    found: dict[object, object] = {
        id: password_hash
        for id, password_hash in connection.execute(sa.select(user.c.id, user.c.password_hash))
    }
    kept = sum(found.get(u["id"]) == u["password_hash"] for u in USERS)
    return Facts(kept == len(USERS), f"{kept}/{len(USERS)} password hashes")


def columns(connection: sa.Connection, table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(connection).get_columns(table)}


def tables(connection: sa.Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def texts_as_written(connection: sa.Connection, written: list[str]) -> Facts:
    """Scenario c3: every post the writers inserted holds the text its writer wrote, in body and
    in text (whichever of the two the table has now, and whichever one the writer wrote); the
    chapter's posts too; and where the table has both, they are equal in every row (the copy of
    the rows written before the triggers, and the triggers since)."""
    names = sorted(columns(connection, "post") & {"body", "text"})
    post = sa.table("post", sa.column("id"), *(sa.column(name) for name in names))
    said, kept = [], True
    for name in names:
        column = post.c[name]
        found = connection.execute(
            sa.select(column).where(column.like("written during%"))
        ).scalars()
        as_written = Counter(found) == Counter(written)
        empty = connection.execute(
            sa.select(sa.func.count()).select_from(post).where(column == "")
        ).scalar_one()
        chapter = bodies(connection, column=name)
        kept = kept and as_written and not empty and chapter.kept
        said.append(
            f"{name}: the {len(written)} writers' posts as written: {as_written},"
            f" empty: {empty}, {chapter.detail}"
        )
    if len(names) == 2:
        differ = connection.execute(
            sa.select(sa.func.count()).select_from(post).where(post.c.body != post.c.text)
        ).scalar_one()
        kept = kept and not differ
        said.append(f"rows where body and text differ: {differ}")
    return Facts(kept, "; ".join(said))
