"""The SQL each ORM sends for the guide's queries (docs/contrast.md, "The SQL each ORM sends"),
captured live from the Flask twins (SQLAlchemy's `before_cursor_execute` event) and from Django
(`connection.execute_wrapper()`, counted against `CaptureQueriesContext`).

    python -m contrast.sql_capture --write docs/contrast.md \\
        --postgres-url postgres://postgres@127.0.0.1:5432/contrast_sql \\
        --mariadb-url mysql://root@127.0.0.1:3306/contrast_sql

(`make contrast-sql`) rewrites every ```sql block of the guide, the ```python block above it and
the table of counts from a new capture; tests/test_contrast_sql.py captures again and fails when
the guide's text differs. Each backend runs in a child process on a scratch database of its own
(a temporary SQLite file, or `<name>_sql` on the server the URL names, dropped afterwards), so
the project's databases are never touched.
"""

import argparse
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from contrast.schema_changes.databases import to_sqlalchemy

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The three ways of writing the chapter's queries, as named in the guide's markers.
FLASK_2018, FLASK_2024, DJANGO = "sqlalchemy-2018", "sqlalchemy-2024", "django"
SIDES = (FLASK_2018, FLASK_2024, DJANGO)
BACKENDS = ("sqlite", "postgresql", "mariadb")
# Django's URL schemes (dj-database-url), and the backend each names.
VENDORS = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mariadb"}


@dataclass(frozen=True)
class Step:
    """Code run on each side in turn, in a fresh namespace and (on SQLAlchemy) a fresh session.
    A step with a `name` is captured and shown in the guide; one without only prepares data."""

    code: dict[str, str]
    name: str = ""
    title: str = ""
    backends: tuple[str, ...] = ("sqlite",)


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# The chapter's Play Time, then the guide's query table, then the traps, in the order they run:
# each side's steps share one database, so later steps see what earlier ones wrote.
STEPS = (
    Step(
        name="add_user",
        title="add a user",
        code={
            FLASK_2018: _code("""
                u = User(username="mary", email="mary@mail.com")
                db.session.add(u)
                db.session.commit()
            """),
            DJANGO: _code("""
                User(username="mary", email="mary@mail.com").save()
            """),
        },
    ),
    Step(
        code={
            FLASK_2018: _code("""
                db.session.add(User(username="lucy", email="lucy@mail.com"))
                db.session.commit()
            """),
            DJANGO: _code("""
                User(username="lucy", email="lucy@mail.com").save()
            """),
        },
    ),
    Step(
        name="all_users",
        title="every user",
        code={
            FLASK_2018: "users = User.query.all()\n",
            DJANGO: "users = list(User.objects.all())\n",
        },
    ),
    Step(
        name="user_by_id",
        title="one user by id",
        code={
            FLASK_2018: "u = db.session.get(User, 1)\n",
            DJANGO: "u = User.objects.get(pk=1)\n",
        },
    ),
    Step(
        name="add_post",
        title="add a post by user 1",
        code={
            FLASK_2018: _code("""
                u = db.session.get(User, 1)
                p = Post(body="This is my first post with Microblog!", author=u)
                db.session.add(p)
                db.session.commit()
            """),
            DJANGO: _code("""
                u = User.objects.get(pk=1)
                Post(body="This is my first post with Microblog!", author=u).save()
            """),
        },
    ),
    # The 2024 twin's Play Time up to here, as the 2018 twin's (only its differences are shown).
    Step(
        code={
            FLASK_2024: _code("""
                mary = User(username="mary", email="mary@mail.com")
                db.session.add_all([mary, User(username="lucy", email="lucy@mail.com")])
                db.session.add(Post(body="This is my first post with Microblog!", author=mary))
                db.session.commit()
            """)
        },
    ),
    Step(
        name="posts_of_user",
        title="a user's posts",
        code={
            FLASK_2018: _code("""
                u = db.session.get(User, 1)
                posts = u.posts.all()
            """),
            FLASK_2024: _code("""
                u = db.session.get(User, 1)
                posts = db.session.scalars(u.posts.select()).all()
            """),
            DJANGO: _code("""
                u = User.objects.get(pk=1)
                posts = list(u.posts.all())
            """),
        },
    ),
    Step(
        name="posts_and_authors",
        title="each post and its author",
        code={
            FLASK_2018: _code("""
                posts = Post.query.all()
                for p in posts:
                    print(p.id, p.author.username, p.body)
            """),
            DJANGO: _code("""
                for p in Post.objects.select_related("author"):
                    print(p.id, p.author.username, p.body)
            """),
        },
    ),
    Step(
        name="alphabetical",
        title="users in alphabetical order",
        code={
            FLASK_2018: "users = User.query.order_by(User.username.asc()).all()\n",
            DJANGO: 'users = list(User.objects.order_by("username"))\n',
        },
    ),
    Step(
        name="first_by_name",
        title="the first user of a name",
        code={
            FLASK_2018: 'u = User.query.filter_by(username="mary").first()\n',
            DJANGO: 'u = User.objects.filter(username="mary").first()\n',
        },
    ),
    Step(
        name="posts_by_author_name",
        title="posts by an author's name",
        code={
            FLASK_2018: 'posts = Post.query.join(User).filter(User.username == "mary").all()\n',
            DJANGO: 'posts = list(Post.objects.filter(author__username="mary"))\n',
        },
    ),
    Step(
        name="delete_everyone",
        title="delete every user and post",
        code={
            FLASK_2018: _code("""
                for u in User.query.all():
                    db.session.delete(u)
                for p in Post.query.all():
                    db.session.delete(p)
                db.session.commit()
            """),
            DJANGO: "User.objects.all().delete()\n",
        },
    ),
    Step(
        code={
            FLASK_2024: _code("""
                db.session.execute(sa.delete(Post))
                db.session.execute(sa.delete(User))
                db.session.commit()
            """)
        },
    ),
    # Four posts by three authors, for the traps below (mary writes two).
    Step(
        code={
            side: _code("""
                for name in ("mary", "lucy", "susan"):
                    author = User(username=name, email=f"{name}@mail.com")
                    db.session.add(Post(body=f"{name.title()}'s first post", author=author))
                mary = db.session.scalars(sa.select(User).filter_by(username="mary")).one()
                db.session.add(Post(body="Mary's second post", author=mary))
                db.session.commit()
            """)
            for side in (FLASK_2018, FLASK_2024)
        }
        | {
            DJANGO: _code("""
                for name in ("mary", "lucy", "susan"):
                    author = User.objects.create(username=name, email=f"{name}@mail.com")
                    Post.objects.create(body=f"{name.title()}'s first post", author=author)
                mary = User.objects.get(username="mary")
                Post.objects.create(body="Mary's second post", author=mary)
            """)
        },
    ),
    Step(
        name="posts_read_twice",
        title="a user's posts, read twice",
        code={
            FLASK_2018: _code("""
                u = User.query.filter_by(username="mary").one()
                posts = u.posts  # a query, not a list: nothing is sent yet
                first = posts.all()
                again = posts.all()
            """),
            FLASK_2024: _code("""
                u = db.session.scalars(sa.select(User).filter_by(username="mary")).one()
                posts = u.posts.select()  # a query, not a list: nothing is sent yet
                first = db.session.scalars(posts).all()
                again = db.session.scalars(posts).all()
            """),
            DJANGO: _code("""
                u = User.objects.get(username="mary")
                posts = u.posts.all()  # a queryset: nothing is sent yet
                first = list(posts)
                again = list(posts)  # the same queryset: its rows are cached
                fresh = list(u.posts.all())  # a new queryset: a new query
            """),
        },
    ),
    Step(
        name="count_posts",
        title="count a user's posts",
        code={
            FLASK_2018: _code("""
                u = User.query.filter_by(username="mary").one()
                n = u.posts.count()
            """),
            FLASK_2024: _code("""
                u = db.session.scalars(sa.select(User).filter_by(username="mary")).one()
                query = sa.select(sa.func.count()).select_from(u.posts.select().subquery())
                n = db.session.scalar(query)
            """),
            DJANGO: _code("""
                u = User.objects.get(username="mary")
                n = u.posts.count()
            """),
        },
    ),
    Step(
        name="authors_lazily",
        title="4 posts' authors, lazily",
        code={
            FLASK_2024: _code("""
                for post in db.session.scalars(sa.select(Post)):
                    print(post.author.username)
            """),
            DJANGO: _code("""
                for post in Post.objects.all():
                    print(post.author.username)
            """),
        },
    ),
    Step(
        name="authors_joined",
        title="4 posts' authors, joined",
        code={
            FLASK_2024: _code("""
                query = sa.select(Post).options(so.joinedload(Post.author))
                for post in db.session.scalars(query):
                    print(post.author.username)
            """),
            DJANGO: _code("""
                for post in Post.objects.select_related("author"):
                    print(post.author.username)
            """),
        },
    ),
    Step(
        name="authors_in_second_query",
        title="4 posts' authors, in a second query",
        backends=BACKENDS,
        code={
            FLASK_2024: _code("""
                query = sa.select(Post).options(so.selectinload(Post.author))
                for post in db.session.scalars(query):
                    print(post.author.username)
            """),
            DJANGO: _code("""
                for post in Post.objects.prefetch_related("author"):
                    print(post.author.username)
            """),
        },
    ),
    Step(
        name="search_ignoring_case",
        title="posts containing a word, any case",
        backends=BACKENDS,
        code={
            FLASK_2024: _code("""
                query = sa.select(Post).where(Post.body.icontains("first"))
                posts = db.session.scalars(query).all()
            """),
            DJANGO: 'posts = list(Post.objects.filter(body__icontains="first"))\n',
        },
    ),
    Step(
        name="newest_two",
        title="the two newest posts",
        backends=BACKENDS,
        code={
            FLASK_2024: _code("""
                query = sa.select(Post).order_by(Post.timestamp.desc()).limit(2)
                posts = db.session.scalars(query).all()
            """),
            DJANGO: 'posts = list(Post.objects.order_by("-timestamp")[:2])\n',
        },
    ),
    Step(
        name="add_user_on_each_backend",
        title="add a user",
        backends=BACKENDS,
        code={
            FLASK_2024: _code("""
                db.session.add(User(username="david", email="david@mail.com"))
                db.session.commit()
            """),
            DJANGO: 'User.objects.create(username="david", email="david@mail.com")\n',
        },
    ),
    Step(
        name="delete_posts_of_author",
        title="delete an author's posts",
        backends=BACKENDS,
        code={
            FLASK_2024: _code("""
                db.session.execute(sa.delete(Post).where(Post.author.has(username="susan")))
                db.session.commit()
            """),
            DJANGO: 'Post.objects.filter(author__username="susan").delete()\n',
        },
    ),
)

# Where SQL changes nothing but whitespace: a new line before each clause, then lines wrapped.
CLAUSE = re.compile(
    r"(?<!DELETE)(?<!INNER)(?<!OUTER) "
    r"(?=(?:FROM|WHERE|JOIN|INNER JOIN|LEFT OUTER JOIN|GROUP BY|ORDER BY|LIMIT|VALUES|RETURNING"
    r"|SET) )"
)
WIDTH = 96
# What Django's query log records for the transaction's ends it leaves to the driver.
TRANSACTION_ENDS = ("BEGIN", "COMMIT", "ROLLBACK")


def layout(statement: str) -> str:
    """One statement as the guide shows it: the same words, laid out to read (a new line for each
    clause, indented by how deep in parentheses it is, then wrapped). Only whitespace changes:
    none of the guide's statements holds a literal with spaces or parentheses in it."""
    flat = " ".join(statement.split())
    starts = [0, *(match.end() for match in CLAUSE.finditer(flat))]
    lines = []
    for start, end in zip(starts, [*starts[1:], len(flat) + 1], strict=True):
        depth = flat.count("(", 0, start) - flat.count(")", 0, start)
        indent = "    " * depth
        lines += textwrap.wrap(
            flat[start : end - 1],
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent + "    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(lines) + ";"


@dataclass(frozen=True)
class Sent:
    """One statement as a cursor was given it; `rows` > 0 when given several rows' parameters at
    once (the driver's executemany())."""

    statement: str
    rows: int = 0

    def shown(self) -> str:
        text = layout(self.statement)
        return f"-- executemany(), {self.rows} rows:\n{text}" if self.rows else text


def sql_block(statements: Sequence[Sent], transaction: Sequence[str] = ()) -> str:
    """A ```sql block's text: the number of queries (and the transaction's ends that no cursor
    sends: the driver's COMMIT, or its BEGIN when autocommit goes off), then each statement."""
    count = f"-- {len(statements)} {'query' if len(statements) == 1 else 'queries'}"
    if transaction and transaction[0] == "BEGIN":
        count += f" between {' and '.join(transaction)}"
    elif transaction:
        count += f", then {' and '.join(transaction)}"
    return "\n\n".join([count, *(sent.shown() for sent in statements)]) + "\n"


# What runs in the child process: one side of the guide at a time, on the scratch database.


def run_step(code: str, names: dict[str, Any]) -> None:
    """Run one step's code (from STEPS) as a script; what it prints is not the point, so it is
    swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<guide>", "exec"), dict(names))


class Recorder:
    """What one step sends: its statements, and the transaction's ends the driver does."""

    def __init__(self) -> None:
        self.start()

    def start(self) -> None:
        """Forget the previous step."""
        self.sent: list[Sent] = []
        self.transaction: list[str] = []

    def block(self) -> str:
        return sql_block(self.sent, self.transaction)


def capture_django(backend: str) -> dict[str, str]:
    """Every step on Django's side, on the database the settings name; {marker: sql block}."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from blog.models import Post

    names = {"User": User, "Post": Post}
    captured: dict[str, str] = {}
    recorder = Recorder()

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if many:
            params = list(params)  # it may be an iterator, and it is read twice
        recorder.sent.append(Sent(sql, len(params) if many else 0))
        return execute(sql, params, many, context)

    for step in STEPS:
        code = step.code.get(DJANGO)
        if code is None:
            continue
        recorder.start()
        # execute_wrapper() sees each statement with its placeholders (a stable text);
        # CaptureQueriesContext, what django_assert_num_queries uses, counts them too.
        with CaptureQueriesContext(connection) as counted, connection.execute_wrapper(record):
            run_step(code, names)
        # Its log also holds the BEGIN and COMMIT Django asks the driver for (no statement).
        statements = {sent.statement for sent in recorder.sent}
        logged = [query["sql"] for query in counted.captured_queries]
        recorder.transaction = [
            sql for sql in logged if sql in TRANSACTION_ENDS and sql not in statements
        ]
        if len(logged) != len(recorder.sent) + len(recorder.transaction):
            raise RuntimeError(f"{step.name}: {len(recorder.sent)} sent, but {len(logged)} logged")
        if step.name and backend in step.backends:
            captured[f"{DJANGO}/{backend}/{step.name}"] = recorder.block()
    return captured


def capture_flask(side: str, url: str, backend: str) -> dict[str, str]:
    """Every step of one Flask twin, on its own tables in the scratch database."""
    if side == FLASK_2018:
        from contrast.flask_app import create_app, db, models
    else:
        from contrast.flask_app_2024 import create_app, db, models  # type: ignore[no-redef]

    class Config:
        SQLALCHEMY_DATABASE_URI = url

    names = {"db": db, "User": models.User, "Post": models.Post, "sa": sa, "so": sa.orm}
    captured: dict[str, str] = {}
    recorder = Recorder()

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        recorder.sent.append(Sent(statement, len(parameters) if many else 0))

    def commit(conn: Any) -> None:
        recorder.transaction.append("COMMIT")

    with create_app(Config).app_context():
        # Made here, not by `flask db upgrade`: the queries depend on the models only.
        db.create_all()
        sa.event.listen(db.engine, "before_cursor_execute", record)
        sa.event.listen(db.engine, "commit", commit)
        try:
            for step in STEPS:
                code = step.code.get(side)
                if code is None:
                    continue
                recorder.start()
                try:
                    run_step(code, names)
                finally:
                    # Each step starts with an empty session, as in a new shell.
                    db.session.remove()
                if step.name and backend in step.backends:
                    captured[f"{side}/{backend}/{step.name}"] = recorder.block()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
            sa.event.remove(db.engine, "commit", commit)
            db.drop_all()
            db.engine.dispose()
    return captured


def capture_here(database_url: str) -> dict[str, str]:
    """All three sides on `database_url` (Django's form), which this process's settings name."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
    django.setup()
    call_command("migrate", verbosity=0)
    backend = vendor(database_url)
    captured = capture_django(backend)
    for side in (FLASK_2018, FLASK_2024):
        captured |= capture_flask(side, to_sqlalchemy(database_url), backend)
    return captured


# What the parent (the test, or --write) does: a child process per backend, a scratch database.


def vendor(database_url: str) -> str:
    """sqlite, postgresql or mariadb, from a URL in Django's form."""
    return VENDORS.get(urlsplit(database_url).scheme, "sqlite")


@contextlib.contextmanager
def scratch_database(database_url: str) -> Iterator[str]:
    """A new, empty database beside the one `database_url` names (`<name>_sql`, or a temporary
    SQLite file), in Django's URL form; dropped at the end."""
    backend = vendor(database_url)
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="sql-capture-") as folder:
            yield f"sqlite:///{Path(folder) / 'capture.db'}"
        return
    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/')}_sql"
    maintenance = "postgres" if backend == "postgresql" else ""
    server = sa.create_engine(
        to_sqlalchemy(urlunsplit(parts._replace(path=f"/{maintenance}"))),
        isolation_level="AUTOCOMMIT",
    )
    quoted = f'"{name}"' if backend == "postgresql" else f"`{name}`"
    create = f"CREATE DATABASE {quoted}"
    if backend == "mariadb":
        create += " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    try:
        with server.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted}"))
            connection.execute(sa.text(create))
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted}"))
        server.dispose()


# Variables that would change how the project connects (a pool, PgBouncer, replicas).
CONNECTION_VARIABLES = ("DATABASE_POOL", "DATABASE_PGBOUNCER", "DATABASE_REPLICA_URLS")


def capture(database_url: str) -> dict[str, str]:
    """Every captured block for the backend `database_url` names: {marker: sql block}."""
    with scratch_database(database_url) as scratch:
        env = {k: v for k, v in os.environ.items() if k not in CONNECTION_VARIABLES}
        env |= {"DATABASE_URL": scratch, "DJANGO_SETTINGS_MODULE": "microblog.settings"}
        child = subprocess.run(
            [sys.executable, "-m", "contrast.sql_capture", "--capture-here"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    if child.returncode != 0:
        raise RuntimeError(f"capturing on {vendor(database_url)} failed:\n{child.stderr}")
    captured: dict[str, str] = json.loads(child.stdout)
    return captured


def code_of(marker: str) -> str:
    side, _backend, name = marker.split("/")
    return next(step.code[side] for step in STEPS if step.name == name)


def markers() -> list[str]:
    """Every block there is to show, as `side/backend/name`."""
    return [
        f"{side}/{backend}/{step.name}"
        for step in STEPS
        if step.name
        for backend in step.backends
        for side in step.code
    ]


# In the guide: `<!-- sql: side/backend/name -->`, then optionally the ```python block that runs,
# then the ```sql block it sent.
MARKED = re.compile(
    r"^<!-- sql: (?P<marker>\S+) -->\n"
    r"(?:```python\n(?P<code>.*?)^```\n\n)?"
    r"```sql\n(?P<sql>.*?)^```\n",
    re.MULTILINE | re.DOTALL,
)


def marked_blocks(text: str) -> dict[str, tuple[str | None, str]]:
    """{marker: (python code or None, sql)} for each marked block of the guide."""
    return {m["marker"]: (m["code"], m["sql"]) for m in MARKED.finditer(text)}


# The table of query counts on SQLite, between these two lines.
COUNTS = re.compile(r"^<!-- sql-counts -->\n.*?^<!-- /sql-counts -->\n", re.MULTILINE | re.DOTALL)
COUNT_LINE = re.compile(r"-- (\d+) quer(?:y|ies)(.*)")
SIDE_TITLES = {
    FLASK_2018: "SQLAlchemy, 2018 twin",
    FLASK_2024: "SQLAlchemy, 2024 twin",
    DJANGO: "Django",
}


def versions() -> str:
    """The versions whose SQL the guide shows (this process's, and its child's)."""
    import django

    return f"Django {django.__version__} and SQLAlchemy {sa.__version__}"


def counts_table(captured: dict[str, str]) -> str:
    """Each SQLite capture's number of queries, a row per query and a column per side."""
    rows = [
        "<!-- sql-counts -->",
        f"Captured with {versions()}:",
        "",
        f"| query, on SQLite | {' | '.join(SIDE_TITLES.values())} |",
        "|---|---|---|---|",
    ]
    for step in STEPS:
        if not step.name:
            continue
        cells = []
        for side in SIDES:
            block = captured.get(f"{side}/sqlite/{step.name}")
            count = COUNT_LINE.match(block) if block else None
            cells.append(f"{count[1]}{count[2]}" if count else "")
        rows.append(f"| {step.title} (`{step.name}`) | {' | '.join(cells)} |")
    return "\n".join([*rows, "<!-- /sql-counts -->"]) + "\n"


def rewritten(text: str, captured: dict[str, str]) -> str:
    """The guide with every block of `captured` replaced by the new capture (others unchanged),
    and the table of counts too when `captured` holds SQLite's."""
    if any(marker.split("/")[1] == "sqlite" for marker in captured):
        text = COUNTS.sub(lambda _: counts_table(captured), text)

    def replace(match: re.Match[str]) -> str:
        marker = match["marker"]
        if marker not in captured:
            return match[0]
        code = "" if match["code"] is None else f"```python\n{code_of(marker)}```\n\n"
        return f"<!-- sql: {marker} -->\n{code}```sql\n{captured[marker]}```\n"

    return MARKED.sub(replace, text)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, help="the guide to rewrite (docs/contrast.md)")
    parser.add_argument("--postgres-url", default="", help="a PostgreSQL URL (Django's form)")
    parser.add_argument("--mariadb-url", default="", help="a MariaDB URL (Django's form)")
    parser.add_argument("--capture-here", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.capture_here:
        print(json.dumps(capture_here(os.environ["DATABASE_URL"])))
        return
    if options.write is None:
        parser.error("--write is required")
    captured: dict[str, str] = {}
    for url in ("sqlite://", options.postgres_url, options.mariadb_url):
        if url:
            captured |= capture(url)
    text = options.write.read_text(encoding="utf-8")
    options.write.write_text(rewritten(text, captured), encoding="utf-8")
    missing = sorted(set(markers()) - set(marked_blocks(text)))
    if missing:
        print(f"Not in {options.write} yet (add a marker for each): {', '.join(missing)}")
    left = sorted(set(marked_blocks(text)) - set(captured))
    if left:
        print(f"Left as they were (no URL given for their backend): {', '.join(left)}")


if __name__ == "__main__":
    main()
