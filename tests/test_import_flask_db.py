"""`manage.py import_flask_db`: a Flask app's users, posts and passwords, brought across."""

import shutil
from datetime import UTC, datetime

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse
from werkzeug.security import generate_password_hash

from accounts.models import User
from blog.models import Post
from contrast.flask_app import create_app, db
from contrast.flask_app import models as flask_models
from microblog import settings as project_settings
from tests.factories import PostFactory, UserFactory
from tests.flask_twin import execute, insert, upgraded_flask_db
from tests.servers import needs_mysqlclient

pytestmark = pytest.mark.django_db

SCRYPT_PASSWORD = "mary's old scrypt password"
PBKDF2_PASSWORD = "lucy's old pbkdf2 password"


@pytest.fixture(scope="module")
def empty_flask_db(tmp_path_factory):
    return upgraded_flask_db(tmp_path_factory.mktemp("flask") / "empty.db")


@pytest.fixture
def flask_db(empty_flask_db, tmp_path):
    """A migrated, empty database of the Flask app, this test's own."""
    return shutil.copy(empty_flask_db, tmp_path / "app.db")


@pytest.fixture
def chapter_db(flask_db):
    """The chapter's Play Time data, with passwords as werkzeug writes them."""
    insert(
        flask_db,
        "user",
        {
            "id": 1,
            "username": "mary",
            "email": "mary@mail.com",
            # werkzeug's default method.
            "password_hash": generate_password_hash(SCRYPT_PASSWORD),
        },
        {
            "id": 2,
            "username": "lucy",
            "email": "lucy@mail.com",
            # werkzeug's other method; fewer iterations than its default keep the test fast.
            "password_hash": generate_password_hash(PBKDF2_PASSWORD, "pbkdf2:sha256:1000"),
        },
        {"id": 3, "username": "susan", "email": "susan@mail.com", "password_hash": None},
    )
    insert(
        flask_db,
        "post",
        # As SQLAlchemy stores `datetime.utcnow()`: naive UTC text.
        {"id": 1, "body": "my first post", "timestamp": "2026-11-01 09:30:00.123456", "user_id": 1},
        {
            "id": 2,
            "body": "hello from lucy",
            "timestamp": "2026-11-02 18:00:00.000000",
            "user_id": 2,
        },
        {"id": 5, "body": "mary again", "timestamp": "2026-11-03 07:15:42.500000", "user_id": 1},
    )
    return flask_db


def imported():
    return (
        list(User.objects.order_by("id").values_list("id", "username", "email")),
        list(Post.objects.order_by("id").values_list("id", "author_id", "body", "timestamp")),
    )


def test_it_keeps_ids_names_emails_authorship_and_timestamps(chapter_db):
    call_command("import_flask_db", str(chapter_db))

    users, posts = imported()
    assert users == [
        (1, "mary", "mary@mail.com"),
        (2, "lucy", "lucy@mail.com"),
        (3, "susan", "susan@mail.com"),
    ]
    # Naive UTC in the Flask database, aware UTC here, to the microsecond.
    assert posts == [
        (1, 1, "my first post", datetime(2026, 11, 1, 9, 30, 0, 123456, tzinfo=UTC)),
        (2, 2, "hello from lucy", datetime(2026, 11, 2, 18, 0, tzinfo=UTC)),
        (5, 1, "mary again", datetime(2026, 11, 3, 7, 15, 42, 500000, tzinfo=UTC)),
    ]
    # `user.posts`, the chapter's relationship, finds them.
    assert [p.body for p in User.objects.get(username="mary").posts.order_by("id")] == [
        "my first post",
        "mary again",
    ]
    # A user without a password in Flask has none here either: no login, until one is set.
    assert not User.objects.get(username="susan").has_usable_password()


def test_it_accepts_a_sqlalchemy_url_and_reports_counts_with_a_progress_bar(chapter_db, capsys):
    call_command("import_flask_db", f"sqlite:///{chapter_db}")

    output = capsys.readouterr()
    assert "Imported 3 users and 3 posts (0 users and 0 posts were already here)." in output.out
    assert "Importing: 100%" in output.err
    assert "6/6" in output.err


def test_dry_run_counts_and_writes_nothing(chapter_db, capsys):
    call_command("import_flask_db", str(chapter_db), "--dry-run")

    assert "Dry run: would import 3 users and 3 posts" in capsys.readouterr().out
    assert imported() == ([], [])


def test_a_second_run_adds_nothing(chapter_db, capsys):
    call_command("import_flask_db", str(chapter_db))
    before = imported()
    # Even after a login replaced a password hash.
    mary = User.objects.get(username="mary")
    mary.set_password("a new password")
    mary.save()

    call_command("import_flask_db", str(chapter_db))

    assert imported() == before
    assert "Imported 0 users and 0 posts (3 users and 3 posts were already here)." in (
        capsys.readouterr().out
    )


def test_rows_added_after_an_import_get_new_ids(chapter_db):
    call_command("import_flask_db", str(chapter_db))

    # The imported ids were explicit: the database's id counters must have moved past them.
    assert UserFactory().id > 3
    assert PostFactory(author=User.objects.get(pk=1)).id > 5


@pytest.mark.parametrize(
    ("username", "password", "werkzeug_algorithm"),
    [("mary", SCRYPT_PASSWORD, "werkzeug_scrypt"), ("lucy", PBKDF2_PASSWORD, "werkzeug_pbkdf2")],
)
def test_old_passwords_log_in_through_the_admin_and_are_upgraded(
    chapter_db, client, settings, username, password, werkzeug_algorithm
):
    # The project's real hashers, not the tests' fast MD5 one: the upgrade goes to the first.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    call_command("import_flask_db", str(chapter_db))
    User.objects.filter(username=username).update(is_staff=True)
    assert identify_hasher(User.objects.get(username=username).password).algorithm == (
        werkzeug_algorithm
    )

    # A wrong password is refused and changes nothing.
    client.post(reverse("admin:login"), {"username": username, "password": "wrong"})
    assert client.get(reverse("admin:index")).status_code == 302
    assert User.objects.get(username=username).password.startswith(werkzeug_algorithm)

    response = client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    # Re-hashed with the project's default hasher; the same password still works.
    user = User.objects.get(username=username)
    assert identify_hasher(user.password).algorithm == get_hasher("default").algorithm
    assert user.check_password(password)


def test_users_saved_by_the_flask_app_itself_log_in_after_the_import(flask_db, settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS

    class Config:
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{flask_db}"

    # The twin's own models and its werkzeug set_password, as the Flask app stores a sign-up.
    with create_app(Config).app_context():
        mary = flask_models.User(username="mary", email="mary@mail.com")
        mary.set_password(SCRYPT_PASSWORD)
        db.session.add(mary)
        db.session.add(flask_models.Post(body="written in Flask", author=mary))
        db.session.commit()
        assert mary.check_password(SCRYPT_PASSWORD)
        db.engine.dispose()

    call_command("import_flask_db", str(flask_db))

    # A request, as at the login form: the login lockout (django-axes) counts by its address.
    login = RequestFactory().post("/admin/login/")
    assert authenticate(login, username="mary", password=SCRYPT_PASSWORD) == User.objects.get(pk=1)
    assert [p.body for p in User.objects.get(pk=1).posts.all()] == ["written in Flask"]


@pytest.mark.parametrize(
    ("user_id", "summary"),
    [(1, ["werkzeug_scrypt", "n=32768, r=8, p=1"]), (2, ["werkzeug_pbkdf2 (sha256)", "1000"])],
)
def test_the_admin_shows_an_imported_users_hash_summary(
    chapter_db, client, settings, user_id, summary
):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    call_command("import_flask_db", str(chapter_db))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get(reverse("admin:accounts_user_change", args=[user_id])).content.decode()

    for part in summary:
        assert part in page


def refused(source, *args):
    """The command's error message; the test then checks that nothing was written."""
    with pytest.raises(CommandError) as error:
        call_command("import_flask_db", str(source), *args)
    return str(error.value)


def test_a_missing_file_is_refused(tmp_path):
    assert (
        refused(tmp_path / "nope.db") == f"nothing imported: {tmp_path / 'nope.db'}: no such file"
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("sqlite://", "sqlite://: no such file"),
        (
            "postgres://postgres:secret@127.0.0.1:port/flask",
            "postgres://postgres@127.0.0.1:port/flask: the port is not a number",
        ),
        pytest.param(
            "mysql://root:secret@127.0.0.1:3306",
            "mysql://root@127.0.0.1:3306: the URL names no database",
            marks=needs_mysqlclient,  # without the driver, that is the one line instead
        ),
    ],
)
def test_a_malformed_url_is_refused_in_one_line(source, message):
    assert message in refused(source)
    assert "secret" not in refused(source)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)

    assert "notes.txt is not a SQLite database" in refused(tmp_path / "notes.txt")


def test_a_database_of_another_kind_is_refused_in_one_line(manage):
    result = manage("import_flask_db", "oracle://scott:tiger@127.0.0.1:1521/flask")

    assert result.returncode == 1
    assert result.stderr == (
        "CommandError: nothing imported: cannot import from a oracle:// database: give the "
        "Flask app's SQLite file (a path or a sqlite:/// URL), or its postgres:// or mysql:// "
        "DATABASE_URL\n"
    )


def test_other_tables_and_columns_are_imported_around_and_reported(flask_db, capsys):
    insert(flask_db, "user", {"id": 1, "username": "mary", "email": "mary@mail.com"})
    execute(flask_db, "CREATE TABLE followers (follower_id INTEGER, followed_id INTEGER)")
    execute(flask_db, "INSERT INTO followers VALUES (1, 1)")
    execute(flask_db, "ALTER TABLE user ADD COLUMN about_me VARCHAR(140)")

    call_command("import_flask_db", str(flask_db))

    assert imported() == ([(1, "mary", "mary@mail.com")], [])
    assert capsys.readouterr().out.endswith(
        "Left in the Flask database, not imported:\n"
        "  alembic_version: 1 row\n"
        "  followers: 1 row\n"
        "  user.about_me: 0 values\n"
    )


def test_our_own_database_is_refused(tmp_path, manage):
    target = tmp_path / "django.db"
    assert manage("migrate", env={"DATABASE_URL": f"sqlite:///{target}"}).returncode == 0

    message = refused(target)

    assert "is not a database of the Flask microblog: it has no user table" in message
    assert "(its tables are accounts_user, " in message


def test_a_table_without_the_chapters_columns_is_refused(flask_db):
    execute(flask_db, "DROP INDEX ix_post_timestamp")
    execute(flask_db, "ALTER TABLE post DROP COLUMN timestamp")

    assert "is not a database of the Flask microblog: table post has no column timestamp" in (
        refused(flask_db)
    )


def test_a_database_never_migrated_by_alembic_is_refused(flask_db):
    execute(flask_db, "DELETE FROM alembic_version")

    assert "has no Alembic revision: run `flask db upgrade` on it first" in refused(flask_db)


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ({"email": None}, "user #2 (lucy) has no email address; Django's users need one"),
        ({"email": ""}, "user #2 (lucy) has no email address; Django's users need one"),
        (
            {"email": "MARY@mail.com"},
            "user #2 (lucy) has the email 'MARY@mail.com', which user #1 also has when letter "
            "case is ignored",
        ),
        (
            {"password_hash": "sha1$salt$0123abcd"},
            "user #2 (lucy): the password hash is not werkzeug's pbkdf2 or scrypt format",
        ),
    ],
)
def test_a_bad_user_row_is_named_and_nothing_is_imported(flask_db, bad_row, message):
    insert(
        flask_db,
        "user",
        {"id": 1, "username": "mary", "email": "mary@mail.com"},
        {"id": 2, "username": "lucy", "email": "lucy@mail.com"} | bad_row,
    )

    assert message in refused(flask_db)
    assert imported() == ([], [])


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ({"user_id": 99}, "post #2 has no author (user_id 99 is not a user)"),
        ({"user_id": None}, "post #2 has no author (user_id None is not a user)"),
        ({"body": None}, "post #2 has no body"),
        ({"body": "x" * 141}, "post #2: the body is over 140 characters"),
        ({"timestamp": "yesterday"}, "post #2: the timestamp 'yesterday' is not a date"),
    ],
)
def test_a_bad_post_row_is_named_and_no_user_is_imported_either(flask_db, bad_row, message):
    insert(flask_db, "user", {"id": 1, "username": "mary", "email": "mary@mail.com"})
    good = {"body": "fine", "timestamp": "2026-11-01 09:30:00.000000", "user_id": 1}
    insert(flask_db, "post", {"id": 1} | good, {"id": 2} | good | bad_row)

    assert message in refused(flask_db)
    assert imported() == ([], [])


def test_a_target_user_with_the_same_id_is_a_conflict(chapter_db):
    UserFactory(id=1, username="admin", email="admin@example.com")

    assert (
        "user #1 (mary) clashes with user #1 (admin) already in this database; "
        "import into an empty database"
    ) in refused(chapter_db)
    assert imported()[0] == [(1, "admin", "admin@example.com")]


def test_a_target_user_with_the_same_email_ignoring_case_is_a_conflict(chapter_db):
    UserFactory(id=100, username="marie", email="Mary@Mail.com")

    assert (
        "user #1 (mary): the email 'mary@mail.com' belongs to user #100 already in this "
        "database (letter case ignored)"
    ) in refused(chapter_db)
    assert imported() == ([(100, "marie", "Mary@Mail.com")], [])


def test_a_different_target_post_with_the_same_id_is_a_conflict(chapter_db):
    call_command("import_flask_db", str(chapter_db))
    Post.objects.filter(pk=5).update(body="edited here")

    assert "post #5 clashes with a different post #5 already in this database" in (
        refused(chapter_db)
    )
    assert Post.objects.get(pk=5).body == "edited here"
