"""Bring the users and posts of the chapter's Flask app (its SQLite database, managed by Alembic)
into our models, keeping ids, authorship, timestamps and passwords. `import_flask_db` calls
`import_flask_db()`; everything is checked before anything is written, in one transaction.
"""

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from tqdm import tqdm

from accounts.hashers import from_werkzeug
from accounts.models import User
from blog.models import BODY_MAX_LENGTH, Post

# The chapter's schema after its two migrations, "users table" and "posts table".
FLASK_TABLES = {
    "alembic_version": {"version_num"},
    "user": {"id", "username", "email", "password_hash"},
    "post": {"id", "body", "timestamp", "user_id"},
}
USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length
BATCH_SIZE = 500


class ImportRefused(Exception):
    """Bad input: the message names the file or the row, and nothing was written."""


@dataclass
class ImportReport:
    users_added: int
    posts_added: int
    users_present: int
    posts_present: int
    dry_run: bool

    def __str__(self):
        added = f"{_count(self.users_added, 'user')} and {_count(self.posts_added, 'post')}"
        present = (
            f"{_count(self.users_present, 'user')} and {_count(self.posts_present, 'post')} "
            "were already here"
        )
        if self.dry_run:
            return f"Dry run: would import {added} ({present}); nothing was written."
        return f"Imported {added} ({present})."


def import_flask_db(source, dry_run=False, progress_file=None):
    """Import from `source` (a path or a sqlite:/// URL); a second run adds nothing.

    Raises ImportRefused, having written nothing, when the source or the target is not fit.
    `progress_file` (e.g. sys.stderr) shows a progress bar; None shows none.
    """
    path = _source_path(source)
    # closing(): a sqlite3 connection's own `with` ends a transaction but leaves the file open.
    with closing(_open_read_only(path)) as flask_db:
        _check_schema(flask_db, path)
        users = _read_users(flask_db)
        posts = _read_posts(flask_db, users)

    with transaction.atomic():
        new_users, users_present = _new_users(users)
        new_posts, posts_present = _new_posts(posts)
        with tqdm(
            total=len(new_users) + len(new_posts),
            unit="row",
            desc="Importing",
            file=progress_file,
            disable=progress_file is None,
        ) as bar:
            for model, rows in ((User, new_users), (Post, new_posts)):
                for start in range(0, len(rows), BATCH_SIZE):
                    batch = rows[start : start + BATCH_SIZE]
                    model.objects.bulk_create(batch)
                    bar.update(len(batch))
        if dry_run:
            transaction.set_rollback(True)
        elif new_users or new_posts:
            _reset_sequences()
    return ImportReport(len(new_users), len(new_posts), users_present, posts_present, dry_run)


def _source_path(source):
    if "://" in source:
        url = urlsplit(source)
        if url.scheme != "sqlite":
            raise ImportRefused(
                f"cannot import from a {url.scheme}:// database: give the Flask app's SQLite "
                "file, as a path or a sqlite:/// URL"
            )
        # SQLAlchemy's form: sqlite:///relative/app.db, sqlite:////absolute/app.db
        source = source.removeprefix("sqlite:///")
    path = Path(source)
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    return path


def _open_read_only(path):
    flask_db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    try:
        flask_db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        flask_db.close()
        raise ImportRefused(f"{path} is not a SQLite database ({exc})") from None
    return flask_db


def _check_schema(flask_db, path):
    tables = {
        name
        for (name,) in flask_db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    if tables != FLASK_TABLES.keys():
        found = ", ".join(sorted(tables)) or "none"
        raise ImportRefused(
            f"{path} is not a database of the chapter's Flask app: its tables are {found}, "
            f"not exactly {', '.join(sorted(FLASK_TABLES))}"
        )
    for table, expected in FLASK_TABLES.items():
        columns = {row[1] for row in flask_db.execute(f'PRAGMA table_info("{table}")')}
        if columns != expected:
            raise ImportRefused(
                f"{path} is not a database of the chapter's Flask app: table {table} has columns "
                f"{', '.join(sorted(columns))}, not {', '.join(sorted(expected))}"
            )
    if flask_db.execute("SELECT count(*) FROM alembic_version").fetchone()[0] != 1:
        raise ImportRefused(f"{path} has no Alembic revision: run `flask db upgrade` on it first")


def _read_users(flask_db):
    """{id: User} for every source row, or ImportRefused naming the first bad one."""
    users, by_username, by_email = {}, {}, {}
    rows = flask_db.execute("SELECT id, username, email, password_hash FROM user ORDER BY id")
    for user_id, username, email, password_hash in rows:
        row = f"user #{user_id} ({username})"
        if not username:
            raise ImportRefused(f"user #{user_id} has no username")
        if len(username) > USERNAME_MAX_LENGTH:
            raise ImportRefused(f"{row}: the username is over {USERNAME_MAX_LENGTH} characters")
        if not email:
            raise ImportRefused(f"{row} has no email address; Django's users need one")
        if len(email) > EMAIL_MAX_LENGTH:
            raise ImportRefused(f"{row}: the email address is over {EMAIL_MAX_LENGTH} characters")
        # Ours are unique ignoring case (accounts.User's constraints); the Flask app's were not.
        for value, seen, what in ((username, by_username, "username"), (email, by_email, "email")):
            other = seen.setdefault(value.lower(), user_id)
            if other != user_id:
                raise ImportRefused(
                    f"{row} has the {what} {value!r}, which user #{other} also has when letter "
                    f"case is ignored; make them differ in the Flask database, then import again"
                )
        if password_hash is None:
            password = make_password(None)  # the chapter's shell users: no password, no login
        else:
            try:
                password = from_werkzeug(password_hash)
            except ValueError:
                raise ImportRefused(
                    f"{row}: the password hash is not werkzeug's pbkdf2 or scrypt format"
                ) from None
        users[user_id] = User(id=user_id, username=username, email=email, password=password)
    return users


def _read_posts(flask_db, users):
    """[Post] for every source row, or ImportRefused naming the first bad one."""
    posts = []
    rows = flask_db.execute("SELECT id, body, timestamp, user_id FROM post ORDER BY id")
    for post_id, body, timestamp, user_id in rows:
        row = f"post #{post_id}"
        if body is None:
            raise ImportRefused(f"{row} has no body")
        if len(body) > BODY_MAX_LENGTH:
            raise ImportRefused(f"{row}: the body is over {BODY_MAX_LENGTH} characters")
        if user_id not in users:
            raise ImportRefused(f"{row} has no author (user_id {user_id} is not a user)")
        try:
            moment = datetime.fromisoformat(str(timestamp))
        except ValueError:
            raise ImportRefused(f"{row}: the timestamp {timestamp!r} is not a date") from None
        # `datetime.utcnow` wrote naive UTC; ours are aware.
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        posts.append(Post(id=post_id, body=body, timestamp=moment, author_id=user_id))
    return posts


def _new_users(users):
    """The users not here yet, and how many are; ImportRefused when one clashes with ours."""
    here = {
        pk: (name, email) for pk, name, email in User.objects.values_list("id", "username", "email")
    }
    usernames = {name.lower(): pk for pk, (name, _) in here.items()}
    emails = {email.lower(): pk for pk, (_, email) in here.items()}
    new, present = [], 0
    for user in users.values():
        row = f"user #{user.id} ({user.username})"
        if user.id in here:
            name, email = here[user.id]
            if (name, email.lower()) != (user.username, user.email.lower()):
                raise ImportRefused(
                    f"{row} clashes with user #{user.id} ({name}) already in this database; "
                    "import into an empty database"
                )
            present += 1
            continue
        for value, taken, what in (
            (user.username, usernames, "username"),
            (user.email, emails, "email"),
        ):
            if value.lower() in taken:
                raise ImportRefused(
                    f"{row}: the {what} {value!r} belongs to user #{taken[value.lower()]} "
                    "already in this database (letter case ignored)"
                )
        new.append(user)
    return new, present


def _new_posts(posts):
    """The posts not here yet, and how many are; ImportRefused when one clashes with ours."""
    if not posts:
        return [], 0
    here = {
        pk: (author_id, body, timestamp)
        for pk, author_id, body, timestamp in Post.objects.filter(
            id__range=(posts[0].id, posts[-1].id)
        ).values_list("id", "author_id", "body", "timestamp")
    }
    new, present = [], 0
    for post in posts:
        if post.id not in here:
            new.append(post)
        elif here[post.id] == (post.author_id, post.body, post.timestamp):
            present += 1
        else:
            raise ImportRefused(
                f"post #{post.id} clashes with a different post #{post.id} already in this "
                "database; import into an empty database"
            )
    return new, present


def _reset_sequences():
    """Rows came with their own ids: move PostgreSQL's id sequences past them (the other backends
    do it themselves), or the next post saved through Django would reuse an id."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [User, Post]):
            cursor.execute(sql)


def _count(number, noun):
    return f"{number} {noun}{'' if number == 1 else 's'}"
