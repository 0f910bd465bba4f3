"""What a file of users or of posts holds: its columns, how each row is checked against the
database and the rest of the file, how checked rows are written, and how rows are exported.

Identity keys, which make importing the same file twice add nothing the second time:
- a user is their username (usernames ignore case, so "Mary" in a file where "mary" exists is
  refused rather than taken for her);
- a post is its id when the file gives one, else its author and timestamp together.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher, make_password
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.core.validators import EmailValidator
from django.db import connection
from django.db.models import Exists, Max, Model, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.utils.dateparse import parse_datetime

from blog.demo_data import write_posts
from blog.models import BODY_MAX_LENGTH, Post, PostQuerySet
from blog.search import bulk_load_posts
from spreadsheets.formats import Row

# C0 controls and DEL, NUL among them. A post's body may hold line breaks and tabs.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The zone of a time written without one, as the import page says.
ASSUMED_ZONE = UTC
EXPORT_CHUNK = 2_000
MAX_ID = 2**63 - 1
# Rows of a plan written per batch: one COPY (or multi-row INSERT) and a few set-based queries.
PLAN_BATCH = 5_000
# The most posts a check reads in one time range before it asks for its times one by one.
RANGE_LIMIT = 2_000


class Refused(Exception):
    """Raised inside the writing transaction to roll it back: the rows that went bad since the
    check, as [{"row": "row 7", "problem": "..."}]."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass
class Outcome:
    """What importing one row would do: "new", "updated", "unchanged", or refused (problems).
    `instance` is what to write: a user, or a post as (id, author id, body, timestamp)."""

    row: Row
    problems: list[str] = field(default_factory=list)
    outcome: str = ""
    instance: Any = None

    def refuse(self, problem: str) -> None:
        self.problems.append(problem)


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 date and time (a space may stand for the T); one without a zone is read in
    ASSUMED_ZONE. None when `text` is not a date and time."""
    try:
        parsed = parse_datetime(text.strip())
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ASSUMED_ZONE)


def post_id(text: str) -> int | None:
    """A post's id from a cell: a whole number that fits the id column (a 64-bit integer)."""
    text = text.strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        return int(text)
    return None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# What `iso` wrote: the standard library's own parser is enough (and fastest).
parse_iso = datetime.fromisoformat


def first_checks(row: Row, required: tuple[str, ...]) -> Outcome:
    checked = Outcome(row, list(row.problems))
    # One search over the whole row first: almost every row has none.
    if CONTROL_CHARACTERS.search("".join(row.cells.values())):
        for name, value in row.cells.items():
            if CONTROL_CHARACTERS.search(value):
                checked.refuse(f"{name} holds a NUL or control character")
    for name in required:
        if not row.cells.get(name, "").strip():
            checked.refuse(f"{name} is empty")
    return checked


class Sheet:
    """A kind of file. Subclasses name the model, the columns and how rows are checked."""

    model: type[Model]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    # Whether `check`'s rows are kept in a plan (`planned`) that `write_plan` writes; otherwise
    # every row is read and checked again inside the writing transaction.
    keeps_plan = False

    def check(self, rows: list[Row]) -> list[Outcome]:
        raise NotImplementedError

    def write(self, outcomes: list[Outcome]) -> None:
        raise NotImplementedError

    def finish_writing(self) -> None:
        """Called once after the last batch is written."""

    def planned(self, checked: Outcome) -> list[str] | None:
        """A checked row as `write_plan` takes it back, or None: this sheet keeps no plan, and
        every row is checked again inside the writing transaction."""
        return None

    def write_plan(
        self, plan: Callable[[], Iterator[list[str]]], checked: dict[str, int]
    ) -> dict[str, int]:
        """Write the rows `planned` kept at check time (`plan()` reads them from the start each
        time it is called; `checked` has the check's counts); returns the counts. Raises Refused
        for rows gone bad since."""
        raise NotImplementedError

    def export_lines(self, queryset: QuerySet) -> Iterator[list[str]]:
        raise NotImplementedError


def users_named(usernames: set[str]) -> QuerySet:
    """The existing users among `usernames` (lower-cased), whatever their letter case."""
    users = get_user_model().objects
    if connection.vendor == "mysql":
        # Its *_ci collation compares ignoring case, through the plain unique index.
        return users.filter(username__in=usernames)
    return users.alias(lowered=Lower("username")).filter(lowered__in=usernames)


def author_ids(names: Iterable[str]) -> dict[str, int]:
    """The ids of the users named, by lower-cased username; names of no user are left out."""
    named = users_named({name.lower() for name in names})
    return {name.lower(): pk for pk, name in named.values_list("pk", "username")}


def in_batches(lines: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class UserSheet(Sheet):
    model = get_user_model()
    columns = ("username", "email", "password", "date_joined")
    required = ("username", "email")

    def __init__(self) -> None:
        # Lower-cased usernames and emails seen so far in the file, with the row of each.
        self.usernames: dict[str, str] = {}
        self.emails: dict[str, str] = {}

    def check(self, rows: list[Row]) -> list[Outcome]:
        usernames = {row.cells.get("username", "").lower() for row in rows}
        existing = {user.username.lower(): user for user in users_named(usernames)}
        emails = {row.cells.get("email", "").lower() for row in rows}
        email_owners = {
            user.email.lower(): user
            for user in self.model.objects.alias(lowered=Lower("email")).filter(lowered__in=emails)
        }
        return [self.check_row(row, existing, email_owners) for row in rows]

    def check_row(self, row: Row, existing: dict, email_owners: dict) -> Outcome:
        checked = first_checks(row, self.required)
        username, email = row.cells.get("username", ""), row.cells.get("email", "")
        password, joined_text = row.cells.get("password", ""), row.cells.get("date_joined", "")
        username_field = self.model._meta.get_field("username")
        try:
            username_field.clean(username, None)
        except ValidationError as error:
            if username:
                checked.refuse(f"username {username!r}: {' '.join(error.messages)}")
        if email:
            try:
                EmailValidator()(email)
            except ValidationError:
                checked.refuse(f"email {email!r} is not an email address")
        if password:
            try:
                identify_hasher(password)
            except ValueError:
                checked.refuse(
                    "password is not a password hash this site recognises "
                    "(passwords are never imported in clear; leave it empty for none)"
                )
        joined = parse_time(joined_text) if joined_text else None
        if joined_text and joined is None:
            checked.refuse(f"date_joined {joined_text!r} is not a date and time")

        user = existing.get(username.lower())
        if user is not None and user.username != username:
            checked.refuse(
                f"username {username!r} collides with the existing user {user.username!r} "
                "(usernames ignore letter case)"
            )
        if username and (seen := self.usernames.get(username.lower())):
            checked.refuse(f"username {username!r} is also in {seen} (usernames ignore case)")
        self.usernames.setdefault(username.lower(), row.label)
        owner = email_owners.get(email.lower())
        if email and owner is not None and owner != user:
            checked.refuse(f"email {email!r} belongs to the user {owner.username!r}")
        if email and (seen := self.emails.get(email.lower())):
            checked.refuse(f"email {email!r} is also in {seen}")
        self.emails.setdefault(email.lower(), row.label)
        if checked.problems:
            return checked

        if user is None:
            checked.outcome = "new"
            checked.instance = self.model(
                username=username,
                email=email,
                # No hash: a password that matches nothing, until the user sets one.
                password=password or make_password(None),
                **({"date_joined": joined} if joined else {}),
            )
            return checked
        changed = False
        for name, value in (("email", email), ("password", password), ("date_joined", joined)):
            if value and getattr(user, name) != value:
                setattr(user, name, value)
                changed = True
        checked.outcome, checked.instance = ("updated" if changed else "unchanged"), user
        return checked

    def write(self, outcomes: list[Outcome]) -> None:
        new = [o.instance for o in outcomes if o.outcome == "new"]
        updated = [o.instance for o in outcomes if o.outcome == "updated"]
        self.model.objects.bulk_create(new)
        self.model.objects.bulk_update(updated, ["email", "password", "date_joined"])

    def export_lines(self, queryset: QuerySet) -> Iterator[list[str]]:
        # No password hashes: an export is for people to read, and a hash is a secret. Imported
        # back, an empty password leaves an existing user's password as it is.
        rows = queryset.order_by("pk").values_list("pk", "username", "email", "date_joined")
        last = 0
        while chunk := list(rows.filter(pk__gt=last)[:EXPORT_CHUNK]):
            for _, username, email, joined in chunk:
                yield [username, email, "", iso(joined)]
            last = chunk[-1][0]


class PostSheet(Sheet):
    model = Post
    columns = ("id", "author", "body", "timestamp")
    required = ("author", "body", "timestamp")

    def __init__(self) -> None:
        # Identity keys seen so far in the file, with the row of each.
        self.ids: dict[int, str] = {}
        self.keys: dict[tuple[str, datetime], str] = {}
        # Ids of new posts the file gave (PostgreSQL's sequence then needs moving past them).
        self.written_ids: set[int] = set()
        # Authors looked up so far, by lower-cased name: their id, or None for no such user.
        # Once per file: the write looks them up again.
        self.authors: dict[str, int | None] = {}
        # The batch's timestamps as written, parsed (None: not a date and time).
        self.times: dict[str, datetime | None] = {}

    def check(self, rows: list[Row]) -> list[Outcome]:
        # Rows of values, not Post objects: building the instances was a sixth of the check.
        names = {row.cells.get("author", "").lower() for row in rows} - self.authors.keys()
        if names:
            known = author_ids(names)
            self.authors.update({name: known.get(name) for name in names})
        ids = [found for row in rows if (found := post_id(row.cells.get("id", "")))]
        fields = ("id", "author_id", "body", "timestamp")
        by_id = {}
        if ids:
            by_id = {post[0]: post for post in Post.objects.filter(id__in=ids).values_list(*fields)}
        # Posts keyed by (author, timestamp): those at the batch's times, through the timestamp
        # index, then matched by author here. With `author IN (...)` too, SQLite probes the
        # (author, timestamp) index once per pair: 0.8 s a batch at 100,000 posts, not 0.05 s.
        self.times = {
            text: parse_time(text) for row in rows if (text := row.cells.get("timestamp"))
        }
        times = {time for time in self.times.values() if time is not None}
        by_key = {(post[1], post[3]): post for post in self.posts_at(times)}
        return [self.check_row(row, self.authors, by_id, by_key) for row in rows]

    @staticmethod
    def posts_at(times: set[datetime]) -> Iterable[tuple[int, int, str, datetime]]:
        """The stored posts at any of `times`, as (id, author id, body, timestamp)."""
        if not times:
            return []
        fields = ("id", "author_id", "body", "timestamp")
        # A file's rows usually come in time order (an export's do), so a batch's times span a
        # short range: read that range through the timestamp index when it holds few posts.
        # That costs less than a list of a thousand times, each prepared by Django and sent
        # as a parameter (a fifth of the check, on every backend).
        posts = Post.objects.order_by().values_list(*fields)
        in_range = list(posts.filter(timestamp__range=(min(times), max(times)))[: RANGE_LIMIT + 1])
        if len(in_range) <= RANGE_LIMIT:
            return [post for post in in_range if post[3] in times]
        return posts.filter(timestamp__in=times)

    def check_row(self, row: Row, authors: dict, by_id: dict, by_key: dict) -> Outcome:
        checked = first_checks(row, self.required)
        id_text, author_name = row.cells.get("id", "").strip(), row.cells.get("author", "")
        body, time_text = row.cells.get("body", ""), row.cells.get("timestamp", "")
        the_id = post_id(id_text)
        if id_text and the_id is None:
            checked.refuse(f"id {id_text!r} is not a whole number from 1 to {MAX_ID}")
        author = authors.get(author_name.lower())  # its id
        if author_name and author is None:
            checked.refuse(f"author {author_name!r} is not a user here")
        if len(body) > BODY_MAX_LENGTH:
            checked.refuse(f"body is {len(body)} characters; a post is at most {BODY_MAX_LENGTH}")
        timestamp = self.times.get(time_text)  # parsed by `check`
        if time_text and timestamp is None:
            checked.refuse(f"timestamp {time_text!r} is not a date and time")
        if the_id is not None:
            if seen := self.ids.get(the_id):
                checked.refuse(f"id {the_id} is also in {seen}")
            self.ids.setdefault(the_id, row.label)
        elif author_name and timestamp:
            key = (author_name.lower(), timestamp)
            if seen := self.keys.get(key):
                checked.refuse(f"{seen} has the same author and timestamp")
            self.keys.setdefault(key, row.label)
        if checked.problems:
            return checked

        stored = by_id.get(the_id) if the_id else by_key.get((author, timestamp))
        if stored is None:
            checked.outcome, checked.instance = "new", (the_id, author, body, timestamp)
            return checked
        changed = stored[1:] != (author, body, timestamp)
        checked.outcome = "updated" if changed else "unchanged"
        checked.instance = (stored[0], author, body, timestamp)
        return checked

    # A post's plan line: [row label, outcome, id, author, body, timestamp]. The id is the file's
    # for a new post that has one, the stored post's for "updated" and "unchanged", else empty;
    # the author as the file names them (they are looked up again when written); the timestamp
    # in ISO 8601, UTC.
    keeps_plan = True

    def planned(self, checked: Outcome) -> list[str]:
        pk, _, body, timestamp = checked.instance
        author = checked.row.cells["author"]
        return [checked.row.label, checked.outcome, str(pk or ""), author, body, iso(timestamp)]

    def write_plan(
        self, plan: Callable[[], Iterator[list[str]]], checked: dict[str, int]
    ) -> dict[str, int]:
        """Every field was checked at check time, and the file has not changed since. What the
        database may have changed meanwhile is checked again here, a batch of rows per query:
        each author still exists; each stored post still exists (and is updated if it now
        differs); no new post's id was taken; no post by the same author at the same time was
        added. Two passes over the plan: the stored posts first, then the new ones, inserted as
        seed_demo inserts them (on SQLite inside bulk_load_posts, which allows only inserts)."""
        counts = {"new": 0, "updated": 0, "unchanged": 0}
        # The plan holds the stored posts the check found, and only those.
        has_stored = checked["updated"] + checked["unchanged"] > 0
        for lines in in_batches(plan(), PLAN_BATCH) if has_stored else []:
            stored = [line for line in lines if line[1] != "new"]
            if stored:
                updated, unchanged = self.write_stored(stored)
                counts["updated"] += updated
                counts["unchanged"] += unchanged
        newest_before = Post.objects.aggregate(newest=Max("id"))["newest"] or 0
        with bulk_load_posts():
            for lines in in_batches(plan(), PLAN_BATCH):
                new = [line for line in lines if line[1] == "new"]
                if new:
                    self.write_new(new)
                    counts["new"] += len(new)
        if counts["new"]:
            self.refuse_posts_added_since(plan, newest_before)
        return counts

    @staticmethod
    def resolved(lines: list[list[str]]) -> list[tuple[str, int | None, int, str, datetime]]:
        """(row label, id or None, author id, body, timestamp) of each line. Raises Refused when
        an author is no longer a user here."""
        authors = author_ids(line[3] for line in lines)
        gone = [
            {"row": label, "problem": f"author {author!r} is not a user here"}
            for label, _, _, author, _, _ in lines
            if author.lower() not in authors
        ]
        if gone:
            raise Refused(gone)
        return [
            (label, int(pk) if pk else None, authors[author.lower()], body, parse_iso(time))
            for label, _, pk, author, body, time in lines
        ]

    def write_stored(self, lines: list[list[str]]) -> tuple[int, int]:
        """Updates the stored posts the lines name where they differ from the file, and returns
        how many were updated and how many left unchanged."""
        rows = self.resolved(lines)
        fields = ("id", "author_id", "body", "timestamp")
        stored = {
            post[0]: post[1:]
            for post in Post.objects.filter(id__in=[row[1] for row in rows]).values_list(*fields)
        }
        deleted = [
            {"row": label, "problem": f"post {pk} was deleted after the file was checked"}
            for label, pk, *_ in rows
            if pk not in stored
        ]
        if deleted:
            raise Refused(deleted)
        updated = [
            Post(id=pk, author_id=author, body=body, timestamp=timestamp)
            for _, pk, author, body, timestamp in rows
            if stored[pk] != (author, body, timestamp)
        ]
        Post.objects.bulk_update(updated, ["author", "body", "timestamp"], batch_size=1_000)
        return len(updated), len(rows) - len(updated)

    def write_new(self, lines: list[list[str]]) -> None:
        rows = self.resolved(lines)
        with_ids = [
            Post(id=pk, author_id=author, body=body, timestamp=timestamp)
            for _, pk, author, body, timestamp in rows
            if pk is not None
        ]
        ids = {pk: label for label, pk, *_ in rows if pk is not None}
        taken = set(Post.objects.filter(id__in=ids).values_list("id", flat=True))
        if taken:
            raise Refused(
                [
                    {"row": label, "problem": f"post id {pk} was taken after the file was checked"}
                    for pk, label in ids.items()
                    if pk in taken
                ]
            )
        # Posts without an id go in as seed_demo writes them (COPY, or one executemany).
        write_posts((body, time, author) for _, pk, author, body, time in rows if pk is None)
        Post.objects.bulk_create(with_ids)
        self.written_ids.update(ids)

    def refuse_posts_added_since(
        self, plan: Callable[[], Iterator[list[str]]], newest_before: int
    ) -> None:
        """Raises Refused if a post written here shares its author and timestamp (its identity
        without an id) with another post: one added after the check, by another import or by
        hand. One query, through the (author, timestamp) index."""
        same_key = Post.objects.filter(
            author_id=OuterRef("author_id"), timestamp=OuterRef("timestamp")
        ).exclude(id=OuterRef("id"))
        clashes = {
            (author, timestamp)
            for pk, author, timestamp in Post.objects.filter(id__gt=newest_before)
            .filter(Exists(same_key))
            .order_by()
            .values_list("id", "author_id", "timestamp")
            if pk not in self.written_ids
        }
        if not clashes:
            return
        problems = []
        for lines in in_batches(plan(), PLAN_BATCH):
            new = [line for line in lines if line[1] == "new" and not line[2]]
            for label, _, author, _, timestamp in self.resolved(new):
                if (author, timestamp) in clashes:
                    problems.append(
                        {
                            "row": label,
                            "problem": "a post by the same author at the same time was added after "
                            "the file was checked",
                        }
                    )
        # The clashes may all be other writers' posts (added meanwhile, between themselves).
        if problems:
            raise Refused(problems)

    def finish_writing(self) -> None:
        # Ids given by the file leave PostgreSQL's sequence behind them; move it past the
        # highest (SQLite and MariaDB do this themselves).
        if self.written_ids:
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Post]):
                    cursor.execute(sql)

    def export_lines(self, queryset: QuerySet) -> Iterator[list[str]]:
        # Newest first, a chunk at a time from where the last one ended (keyset pagination, as
        # the public page does): each chunk an index range, so memory stays flat on every
        # backend (mysqlclient would otherwise fetch a whole result into memory).
        assert isinstance(queryset, PostQuerySet)  # the post admin's list: Post.objects's
        posts = queryset.with_author_username().order_by("-timestamp", "-id")
        fields = ("id", "author_username", "body", "timestamp")
        chunk = list(posts.values_list(*fields)[:EXPORT_CHUNK])
        while chunk:
            for pk, author, body, timestamp in chunk:
                yield [str(pk), author, body, iso(timestamp)]
            last_id, last_time = chunk[-1][0], chunk[-1][3]
            chunk = list(
                posts.older_than(last_time, last_id)
                .order_by("-timestamp", "-id")
                .values_list(*fields)[:EXPORT_CHUNK]
            )


SHEETS: dict[str, type[Sheet]] = {"users": UserSheet, "posts": PostSheet}
