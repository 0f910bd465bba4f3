"""Bring the users and posts of a Flask Mega-Tutorial microblog (any chapter, either edition; its
SQLite file or its PostgreSQL or MySQL server) into our models, keeping ids, authorship,
timestamps and passwords, and say exactly what stays behind. `import_flask_db` calls
`import_flask_db()`; everything is checked before anything is written, in one transaction.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO, cast

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from tqdm import tqdm

from accounts.hashers import from_werkzeug
from accounts.models import User
from blog.models import BODY_MAX_LENGTH, Post
from blog.search import bulk_load_posts
from contrast.flask_sources import FlaskDatabase, SourceRefused, open_flask_database

# The chapter's columns, which every later chapter keeps; anything else is reported, not read.
CHAPTER_COLUMNS = {
    "user": ("id", "username", "email", "password_hash"),
    "post": ("id", "body", "timestamp", "user_id"),
}
# Both are set in accounts/models.py; django-stubs types a field's max_length as optional.
USERNAME_MAX_LENGTH = cast(int, User._meta.get_field("username").max_length)
EMAIL_MAX_LENGTH = cast(int, User._meta.get_field("email").max_length)
# Django's own rule (UnicodeUsernameValidator): letters, digits and @/./+/-/_ only.
USERNAME_REFUSED_CHARACTERS = re.compile(r"[^\w.@+-]+")
BATCH_SIZE = 500


class ImportRefused(Exception):
    """Bad input: the message names the file or the row, and nothing was written. `details`
    holds the lines behind a message that sums up several rows."""

    def __init__(self, message: str, details: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.details = list(details)


@dataclass
class ImportReport:
    users_added: int
    posts_added: int
    users_present: int
    posts_present: int
    dry_run: bool
    left_behind: list[str] = field(default_factory=list)
    usernames_changed: list[str] = field(default_factory=list)
    usernames_kept: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        added = f"{_count(self.users_added, 'user')} and {_count(self.posts_added, 'post')}"
        present = (
            f"{_count(self.users_present, 'user')} and {_count(self.posts_present, 'post')} "
            "were already here"
        )
        if self.dry_run:
            lines = [f"Dry run: would import {added} ({present}); nothing was written."]
        else:
            lines = [f"Imported {added} ({present})."]
        if self.usernames_changed:
            lines.append("Renamed, because Django refuses the name (--rename-usernames):")
            lines += [f"  {line}" for line in self.usernames_changed]
        if self.usernames_kept:
            lines.append(
                "Kept as they are, though Django's username validator refuses them "
                "(--keep-usernames):"
            )
            lines += [f"  {line}" for line in self.usernames_kept]
        lines.append("Left in the Flask database, not imported:")
        lines += [f"  {line}" for line in self.left_behind] or ["  nothing"]
        return "\n".join(lines)


def import_flask_db(
    source: str,
    dry_run: bool = False,
    usernames: str = "refuse",
    progress_file: TextIO | None = None,
) -> ImportReport:
    """Import from `source` (a path, or a sqlite:///, postgres:// or mysql:// URL); a second run
    adds nothing. `usernames`: what to do with names Django refuses, "refuse" (stop and list
    them), "rename" (see `_settle_usernames`) or "keep".

    Raises ImportRefused, having written nothing, when the source or the target is not fit.
    `progress_file` (e.g. sys.stderr) shows a progress bar; None shows none.
    """
    try:
        with open_flask_database(source) as flask_db:
            _check_schema(flask_db)
            left_behind = _left_behind(flask_db)
            users = _read_users(flask_db)
            posts = _read_posts(flask_db, users)
    except SourceRefused as exc:
        raise ImportRefused(str(exc)) from None

    with transaction.atomic():
        changed, kept = _settle_usernames(users, usernames)
        new_users, users_present = _new_users(users)
        new_posts, posts_present = _new_posts(posts)
        # On SQLite, the posts' trigrams are written once, after all rows (blog/search.py).
        with (
            bulk_load_posts(),
            tqdm(
                total=len(new_users) + len(new_posts),
                unit="row",
                desc="Importing",
                file=progress_file,
                disable=progress_file is None,
            ) as bar,
        ):
            for model, rows in ((User, new_users), (Post, new_posts)):
                for start in range(0, len(rows), BATCH_SIZE):
                    batch = rows[start : start + BATCH_SIZE]
                    # mypy does not pair each model with its own rows (users, then posts).
                    model.objects.bulk_create(batch)  # type: ignore[arg-type]
                    bar.update(len(batch))
        if dry_run:
            transaction.set_rollback(True)
        elif new_users or new_posts:
            _reset_sequences()
    return ImportReport(
        len(new_users),
        len(new_posts),
        users_present,
        posts_present,
        dry_run,
        left_behind,
        changed,
        kept,
    )


def _check_schema(flask_db: FlaskDatabase) -> None:
    tables = flask_db.tables()
    for table, expected in CHAPTER_COLUMNS.items():
        if table not in tables:
            raise ImportRefused(
                f"{flask_db.name} is not a database of the Flask microblog: it has no {table} "
                f"table (its tables are {', '.join(tables) or 'none'})"
            )
        missing = [name for name in expected if name not in flask_db.columns(table)]
        if missing:
            raise ImportRefused(
                f"{flask_db.name} is not a database of the Flask microblog: table {table} has "
                f"no column {', '.join(missing)}"
            )
    if "alembic_version" not in tables or flask_db.count("alembic_version") != 1:
        raise ImportRefused(
            f"{flask_db.name} has no Alembic revision: run `flask db upgrade` on it first"
        )


def _left_behind(flask_db: FlaskDatabase) -> list[str]:
    """Every table but user and post with its rows, then every column of those two beyond the
    chapter's with its values (NULL and '' are no value): the report's last lines."""
    lines = [
        f"{table}: {_count(flask_db.count(table), 'row')}"
        for table in flask_db.tables()
        if table not in CHAPTER_COLUMNS
    ]
    for table, chapter_columns in CHAPTER_COLUMNS.items():
        for column, is_text in flask_db.columns(table).items():
            if column not in chapter_columns:
                values = flask_db.count_values(table, column, is_text)
                lines.append(f"{table}.{column}: {_count(values, 'value')}")
    return lines


def _read_users(flask_db: FlaskDatabase) -> dict[int, User]:
    """{id: User} for every source row, or ImportRefused naming the first bad one. Usernames are
    checked later, by `_settle_usernames`, against this database's users too."""
    users: dict[int, User] = {}
    by_email: dict[str, int] = {}
    rows = flask_db.rows(
        f"SELECT id, username, email, password_hash FROM {flask_db.quote('user')} ORDER BY id"
    )
    for user_id, username, email, password_hash in rows:
        row = f"user #{user_id} ({username})"
        if not email:
            raise ImportRefused(f"{row} has no email address; Django's users need one")
        if len(email) > EMAIL_MAX_LENGTH:
            raise ImportRefused(f"{row}: the email address is over {EMAIL_MAX_LENGTH} characters")
        # Ours are unique ignoring case (accounts.User's constraints); the Flask app's were not.
        other = by_email.setdefault(email.lower(), user_id)
        if other != user_id:
            raise ImportRefused(
                f"{row} has the email {email!r}, which user #{other} also has when letter "
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
        users[user_id] = User(id=user_id, username=username or "", email=email, password=password)
    return users


def _username_problem(username: str, first_holder: User | None) -> tuple[str, bool] | None:
    """(why Django refuses `username`, whether the database could store it anyway), or None.
    `first_holder`: the user with the lowest id whose name is this one ignoring case, if not it."""
    if not username:
        return "it is empty", False
    if len(username) > USERNAME_MAX_LENGTH:
        return f"it is over {USERNAME_MAX_LENGTH} characters", False
    if first_holder is not None:
        return (
            f"user #{first_holder.id} is {first_holder.username!r}, the same name when letter "
            "case is ignored",
            False,
        )
    refused = sorted(set("".join(USERNAME_REFUSED_CHARACTERS.findall(username))))
    if refused:
        shown = ", ".join("space" if c == " " else repr(c) for c in refused)
        return f"Django allows only letters, digits and @/./+/-/_, not {shown}", True
    return None


def _settle_usernames(users: dict[int, User], mode: str) -> tuple[list[str], list[str]]:
    """Check every username as Django would; refuse, rename or keep those it refuses.

    Returns (renamed, kept) report lines; ImportRefused lists each refused name (id, name, why).
    The renaming rule, in id order: each run of refused characters becomes one "_", the name is
    cut to 64 characters ("user" if nothing is left), and if that is taken, ignoring case, by
    any other user (here, or in the Flask database), "-<id>" is added (cutting the name to fit),
    then "-<id>-2", "-<id>-3", ... until it is free. Keeping works only for the characters: the
    database's own constraints refuse names too long or equal ignoring case.
    """
    first_by_name: dict[str, User] = {}
    problems: list[tuple[User, str, bool]] = []
    for user in users.values():
        first = first_by_name.setdefault(user.username.lower(), user)
        problem = _username_problem(user.username, None if first is user else first)
        if problem:
            problems.append((user, *problem))
    if not problems:
        return [], []

    def listed(rows: list[tuple[User, str, bool]]) -> list[str]:
        return [f"user #{user.id} {user.username!r}: {why}" for user, why, _ in rows]

    if mode == "keep":
        unkeepable = [problem for problem in problems if not problem[2]]
        if unkeepable:
            raise ImportRefused(
                f"{_count(len(unkeepable), 'username')} cannot be kept as they are (listed "
                "above); import with --rename-usernames, or change them in the Flask database",
                listed(unkeepable),
            )
        return [], listed(problems)
    if mode != "rename":
        raise ImportRefused(
            f"{_count(len(problems), 'username')} that Django refuses (listed above); import "
            "with --rename-usernames or --keep-usernames, or change them in the Flask database",
            listed(problems),
        )
    to_rename = {user.id for user, _, _ in problems}
    # Names that stay: the Flask users' good ones, and ours (but for rows with the same ids,
    # which are this import's own users on a second run).
    taken = {user.username.lower() for user in users.values() if user.id not in to_rename}
    taken |= {
        name.lower()
        for name in User.objects.exclude(id__in=users.keys()).values_list("username", flat=True)
    }
    renamed = []
    for user, why, _ in problems:
        base = USERNAME_REFUSED_CHARACTERS.sub("_", user.username)[:USERNAME_MAX_LENGTH] or "user"
        new_name, attempt = base, 1
        while new_name.lower() in taken:
            suffix = f"-{user.id}" + (f"-{attempt}" if attempt > 1 else "")
            new_name = base[: USERNAME_MAX_LENGTH - len(suffix)] + suffix
            attempt += 1
        taken.add(new_name.lower())
        renamed.append(f"user #{user.id} {user.username!r} -> {new_name!r} ({why})")
        user.username = new_name
    return renamed, []


def _read_posts(flask_db: FlaskDatabase, users: dict[int, User]) -> list[Post]:
    """[Post] for every source row, or ImportRefused naming the first bad one."""
    posts = []
    rows = flask_db.rows("SELECT id, body, timestamp, user_id FROM post ORDER BY id")
    for post_id, body, timestamp, user_id in rows:
        row = f"post #{post_id}"
        if body is None:
            raise ImportRefused(f"{row} has no body")
        if len(body) > BODY_MAX_LENGTH:
            raise ImportRefused(f"{row}: the body is over {BODY_MAX_LENGTH} characters")
        if user_id not in users:
            raise ImportRefused(f"{row} has no author (user_id {user_id} is not a user)")
        # Servers' drivers give datetimes; SQLite gives SQLAlchemy's text.
        try:
            moment = _datetime(timestamp)
        except (TypeError, ValueError):
            raise ImportRefused(f"{row}: the timestamp {timestamp!r} is not a date") from None
        # Both editions store naive UTC (`datetime.utcnow`, or SQLAlchemy dropping the zone of
        # `datetime.now(timezone.utc)` on a plain DateTime column); ours are aware.
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        posts.append(Post(id=post_id, body=body, timestamp=moment, author_id=user_id))
    return posts


def _new_users(users: dict[int, User]) -> tuple[list[User], int]:
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


def _new_posts(posts: list[Post]) -> tuple[list[Post], int]:
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


def _reset_sequences() -> None:
    """Rows came with their own ids: move PostgreSQL's id sequences past them (the other backends
    do it themselves), or the next post saved through Django would reuse an id."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [User, Post]):
            cursor.execute(sql)


def _datetime(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
