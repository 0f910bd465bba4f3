"""Importing users and posts from CSV, XLSX and JSON through the admin: checked and previewed
first, written only when confirmed, and never in part."""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from blog.models import Post
from spreadsheets.models import Import
from tests.factories import PostFactory, UserFactory
from tests.spreadsheet_files import (
    TASKS_RUN_AT_ONCE,
    confirm,
    csv_file,
    json_file,
    status_page,
    upload,
    xlsx_file,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tasks_at_once(settings, tmp_path):
    settings.TASKS = TASKS_RUN_AT_ONCE
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "imports")


@pytest.fixture
def editor(client):
    user = UserFactory(is_staff=True, is_superuser=True, username="editor")
    client.force_login(user)
    return user


POSTS = [
    ["author", "body", "timestamp"],
    ["mary", "first post", "2026-11-30T10:00:00+00:00"],
    ["mary", "=1+1 is not a formula here", "2026-11-30T12:00:00+01:00"],
]


def test_posts_are_previewed_and_written_only_when_confirmed(client, editor):
    UserFactory(username="mary")

    job = upload(client, "post", csv_file(POSTS))

    # Checked: each row's outcome shown, nothing written yet.
    assert job.state == Import.State.CHECKED, job.problems
    assert [line["outcome"] for line in job.preview] == ["new", "new"]
    assert "This file would write" in status_page(client, job)
    assert Post.objects.count() == 0
    # Confirmed: written, and recorded in the admin's history with its counts.
    job = confirm(client, job)
    assert job.state == Import.State.DONE
    assert sorted(Post.objects.values_list("body", "timestamp")) == [
        ("=1+1 is not a formula here", datetime(2026, 11, 30, 11, tzinfo=UTC)),
        ("first post", datetime(2026, 11, 30, 10, tzinfo=UTC)),
    ]
    entry = LogEntry.objects.get(object_id=str(job.pk))
    assert entry.user == editor
    assert entry.change_message == "Imported posts from rows.csv: 2 new, 0 updated, 0 unchanged."


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file, json_file])
def test_importing_the_same_file_twice_adds_nothing(client, editor, make_file):
    UserFactory(username="mary")
    confirm(client, upload(client, "post", make_file(POSTS)))

    again = upload(client, "post", make_file(POSTS))

    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    confirm(client, again)
    assert Post.objects.count() == 2


def test_a_post_found_by_its_id_is_updated(client, editor):
    post = PostFactory(body="old words")
    rows = [
        ["id", "author", "body", "timestamp"],
        [str(post.pk), post.author.username, "new words", post.timestamp.isoformat()],
    ]

    job = confirm(client, upload(client, "post", csv_file(rows)))

    assert (job.new, job.updated, job.unchanged) == (0, 1, 0)
    post.refresh_from_db()
    assert post.body == "new words"


def test_authors_are_found_by_username_in_any_case(client, editor):
    mary = UserFactory(username="Mary")

    confirm(client, upload(client, "post", csv_file([POSTS[0], ["mARY", "hi", "2026-01-01"]])))

    assert Post.objects.get().author == mary


def test_a_time_without_a_zone_is_read_as_utc_and_the_page_says_so(client, editor):
    UserFactory(username="mary")

    job = upload(client, "post", csv_file([POSTS[0], ["mary", "hi", "2026-11-30 10:00"]]))

    assert "Times without a zone were read as UTC" in status_page(client, job)
    confirm(client, job)
    assert Post.objects.get().timestamp == datetime(2026, 11, 30, 10, tzinfo=UTC)


def test_a_file_with_bad_rows_writes_nothing_and_names_each_row_and_why(client, editor):
    UserFactory(username="mary")
    rows = [
        ["author", "body", "timestamp"],
        ["mary", "fine", "2026-11-30T10:00:00Z"],
        ["mary", "x" * 141, "2026-11-30T10:01:00Z"],
        ["nobody", "who wrote this?", "2026-11-30T10:02:00Z"],
        ["mary", "when?", "yesterday"],
        ["mary", "a NUL \x00 here", "2026-11-30T10:03:00Z"],
        ["mary", "", "2026-11-30T10:04:00Z"],
        ["mary", "same moment", "2026-11-30T10:00:00Z"],
    ]

    job = upload(client, "post", csv_file(rows))

    assert job.state == Import.State.REFUSED
    assert [(p["row"], p["problem"]) for p in job.problems] == [
        ("row 3", "body is 141 characters; a post is at most 140"),
        ("row 4", "author 'nobody' is not a user here"),
        ("row 5", "timestamp 'yesterday' is not a date and time"),
        ("row 6", "body holds a NUL or control character"),
        ("row 7", "body is empty"),
        ("row 8", "row 2 has the same author and timestamp"),
    ]
    page = status_page(client, job)
    assert "Nothing was written. 6 problems found" in page
    assert "author &#x27;nobody&#x27; is not a user here" in page
    # No way to confirm it, and nothing written.
    assert "Confirm" not in page
    assert confirm(client, job).state == Import.State.REFUSED
    assert Post.objects.count() == 0
    # The refusal is in the admin's history too.
    assert LogEntry.objects.get(object_id=str(job.pk)).change_message == (
        "Refused posts from rows.csv: 6 problems, nothing written."
    )


def test_bad_users_are_named(client, editor):
    UserFactory(username="Mary", email="mary@example.com")
    rows = [
        ["username", "email", "password"],
        ["mary", "other@example.com", ""],
        ["bob", "not an email", ""],
        ["carol", "carol@example.com", "plain-text-password"],
        ["Dave", "dave@example.com", ""],
        ["dave", "dave2@example.com", ""],
        ["erin", "MARY@example.com", ""],
        ["", "frank@example.com", ""],
        ["bad name!", "g@example.com", ""],
    ]

    job = upload(client, "user", csv_file(rows))

    problems = [(p["row"], p["problem"]) for p in job.problems]
    assert problems[:6] == [
        (
            "row 2",
            "username 'mary' collides with the existing user 'Mary' (usernames ignore letter case)",
        ),
        ("row 3", "email 'not an email' is not an email address"),
        (
            "row 4",
            "password is not a password hash this site recognises "
            "(passwords are never imported in clear; leave it empty for none)",
        ),
        ("row 6", "username 'dave' is also in row 5 (usernames ignore case)"),
        ("row 7", "email 'MARY@example.com' belongs to the user 'Mary'"),
        ("row 8", "username is empty"),
    ]
    assert problems[6][0] == "row 9"
    assert "Enter a valid username" in problems[6][1]
    assert User.objects.count() == 2


def test_users_get_a_hash_from_the_file_or_no_usable_password(client, editor):
    hashed = make_password("s3cret!")
    rows = [["username", "email", "password"], ["ann", "ann@example.com", hashed]]
    rows.append(["ben", "ben@example.com", ""])

    confirm(client, upload(client, "user", csv_file(rows)))

    assert User.objects.get(username="ann").check_password("s3cret!")
    assert not User.objects.get(username="ben").has_usable_password()


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("posts.xlsx", b"author,body,timestamp\n", "This is not an XLSX file"),
        ("posts.json", b"author,body,timestamp\n", "This is not a JSON file"),
        ("posts.csv", b"PK\x03\x04\x14\x00\x00\x00", "This is not a CSV file"),
        ("posts.csv", "author,body\n".encode("utf-16"), "This is not a UTF-8 CSV file"),
        ("posts.csv", b"author,text,timestamp\n", "unknown columns: text; missing columns: body"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused_whole(client, editor, name, content, problem):
    job = upload(client, "post", SimpleUploadedFile(name, content))

    assert job.state == Import.State.REFUSED
    assert job.problems[0]["row"] == "the file"
    assert problem in job.problems[0]["problem"]


def test_only_csv_xlsx_and_json_files_are_taken(client, editor):
    response = client.post(
        reverse("admin:blog_post_import"), {"file": SimpleUploadedFile("posts.txt", b"x")}
    )

    assert "Choose a .csv, .xlsx or .json file" in response.content.decode()
    assert not Import.objects.exists()


def test_a_row_that_went_bad_after_the_check_refuses_the_whole_write(client, editor):
    mary = UserFactory(username="mary")
    job = upload(client, "post", csv_file(POSTS))
    # Between check and confirmation, the author is deleted.
    mary.delete()

    job = confirm(client, job)

    assert job.state == Import.State.REFUSED
    assert job.problems[0] == {"row": "row 2", "problem": "author 'mary' is not a user here"}
    assert Post.objects.count() == 0


@pytest.mark.parametrize("bad_id", ["abc", "0", "-3", "1.5", "99999999999999999999", "٣"])
def test_an_id_that_is_no_post_id_is_refused(client, editor, bad_id):
    UserFactory(username="mary")
    rows = [["id", "author", "body", "timestamp"], [bad_id, "mary", "hi", "2026-01-01T00:00Z"]]

    job = upload(client, "post", csv_file(rows))

    assert job.problems == [
        {"row": "row 2", "problem": f"id {bad_id!r} is not a whole number from 1 to {2**63 - 1}"}
    ]


def test_a_post_deleted_after_the_check_refuses_the_whole_write(client, editor):
    post = PostFactory(body="old words")
    rows = [
        ["id", "author", "body", "timestamp"],
        [str(post.pk), post.author.username, "new words", post.timestamp.isoformat()],
        ["", post.author.username, "a new one", "2026-01-01T00:00Z"],
    ]
    job = upload(client, "post", csv_file(rows))
    assert (job.new, job.updated) == (1, 1)
    deleted_id = post.pk
    post.delete()

    job = confirm(client, job)

    assert job.state == Import.State.REFUSED
    assert job.problems == [
        {"row": "row 2", "problem": f"post {deleted_id} was deleted after the file was checked"}
    ]
    assert not Post.objects.exists()


def test_an_id_taken_after_the_check_refuses_the_whole_write(client, editor):
    mary = UserFactory(username="mary")
    rows = [["id", "author", "body", "timestamp"], ["777", "mary", "mine", "2026-01-01T00:00Z"]]
    job = upload(client, "post", csv_file(rows))
    PostFactory(id=777, author=mary, body="someone else's")

    job = confirm(client, job)

    assert job.problems == [
        {"row": "row 2", "problem": "post id 777 was taken after the file was checked"}
    ]
    assert Post.objects.get().body == "someone else's"


def test_the_same_file_checked_twice_then_confirmed_twice_adds_nothing_the_second_time(
    client, editor
):
    UserFactory(username="mary")
    first = upload(client, "post", csv_file(POSTS))
    second = upload(client, "post", csv_file(POSTS))
    assert (first.new, second.new) == (2, 2)  # both checked before either was written

    assert confirm(client, first).state == Import.State.DONE
    second = confirm(client, second)

    assert second.state == Import.State.REFUSED
    assert [p["row"] for p in second.problems] == ["row 2", "row 3"]
    assert second.problems[0]["problem"] == (
        "a post by the same author at the same time was added after the file was checked"
    )
    assert Post.objects.count() == 2


def test_a_post_edited_after_the_check_is_written_as_the_file_says(client, editor):
    post = PostFactory(body="as in the file")
    rows = [
        ["id", "author", "body", "timestamp"],
        [str(post.pk), post.author.username, post.body, post.timestamp.isoformat()],
    ]
    job = upload(client, "post", csv_file(rows))
    assert job.unchanged == 1
    Post.objects.filter(pk=post.pk).update(body="edited meanwhile")

    job = confirm(client, job)

    assert (job.state, job.updated) == (Import.State.DONE, 1)
    post.refresh_from_db()
    assert post.body == "as in the file"


def test_posts_are_found_by_time_when_a_batch_spans_many_stored_posts(client, editor, monkeypatch):
    # A batch's time range holding more stored posts than RANGE_LIMIT: looked up time by time.
    monkeypatch.setattr("spreadsheets.sheets.RANGE_LIMIT", 1)
    mary = UserFactory(username="mary")
    PostFactory(
        author=mary, body="between the two", timestamp=datetime(2026, 11, 30, 10, 30, tzinfo=UTC)
    )
    confirm(client, upload(client, "post", csv_file(POSTS)))

    again = upload(client, "post", csv_file(POSTS))

    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)


def test_imported_posts_are_found_by_the_admins_search(client, editor):
    # On SQLite they go in with the trigram index's trigger set aside, and are indexed at the end.
    UserFactory(username="mary")
    confirm(client, upload(client, "post", csv_file(POSTS)))

    page = client.get(reverse("admin:blog_post_changelist"), {"q": "formula"}).content.decode()

    assert "=1+1 is not a formula here" in page
    assert "first post" not in page
