"""`import_flask_db` from a Flask microblog deployed on PostgreSQL or MySQL/MariaDB: the source is
its `DATABASE_URL`, read in one read-only transaction."""

import psycopg
import pytest
from django.core.management import call_command

from accounts.models import User
from blog.models import Post
from contrast.flask_sources import open_flask_database
from tests.flask_fixtures import on_server, scratch_database_name, source_rows
from tests.servers import MARIADB, POSTGRES, closed_port, needs_mysqlclient, require
from tests.test_import_flask_chapters import LEFT_BEHIND, left_behind

pytestmark = pytest.mark.django_db

SERVERS = {"postgresql": POSTGRES, "mariadb": MARIADB}
# The forms the tutorial's DATABASE_URL takes there (Heroku's postgres://, chapter 17's
# mysql+pymysql://), and SQLAlchemy's plainer ones.
FLASK_URLS = {
    "postgresql": ["postgres://{rest}", "postgresql+psycopg2://{rest}"],
    "mariadb": ["mysql+pymysql://{rest}?charset=utf8mb4", "mysql://{rest}"],
}


@pytest.fixture(
    scope="module", params=["postgresql", pytest.param("mariadb", marks=needs_mysqlclient)]
)
def flask_server_db(request, django_db_setup, django_db_blocker):
    """The finished app's database (2024 edition, chapter 23) on a server: (kind, path part of
    its URL, SQLAlchemy URL)."""
    server = SERVERS[request.param]
    require(server)
    with django_db_blocker.unblock():
        database = scratch_database_name(f"flask_src_{request.param}")
    with on_server("v0.23-2024", server, database) as url:
        yield request.param, f"{server['user']}@{server['host']}:{server['port']}/{database}", url


def imported():
    return (
        list(User.objects.order_by("id").values_list("id", "username", "email")),
        list(Post.objects.order_by("id").values_list("id", "author_id", "body", "timestamp")),
    )


@pytest.mark.parametrize("form", [0, 1])
def test_a_server_database_imports_with_nothing_lost_but_what_the_report_names(
    flask_server_db, form, capsys
):
    kind, rest, url = flask_server_db
    before = source_rows(url)

    call_command("import_flask_db", FLASK_URLS[kind][form].format(rest=rest), "--keep-usernames")

    assert imported() == before
    assert left_behind(capsys.readouterr().out) == LEFT_BEHIND["v0.23"]
    # Only read.
    assert source_rows(url) == before


def test_the_server_source_is_read_in_a_read_only_transaction(flask_server_db):
    kind, rest, _ = flask_server_db
    if kind == "postgresql":
        error = psycopg.errors.ReadOnlySqlTransaction
    else:
        from MySQLdb import OperationalError as error

    with (
        open_flask_database(FLASK_URLS[kind][1].format(rest=rest)) as flask_db,
        pytest.raises(error, match="(?i)read.only"),
    ):
        flask_db.rows("DELETE FROM post")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgres://postgres:secret@127.0.0.1:{port}/flask",
            "cannot read postgres://postgres@127.0.0.1:{port}/flask: ",
        ),
        pytest.param(
            "mysql://root:secret@127.0.0.1:{port}/flask",
            "cannot read mysql://root@127.0.0.1:{port}/flask: ",
            marks=needs_mysqlclient,
        ),
    ],
)
def test_a_server_that_is_not_there_is_one_line_without_the_password(manage, url, message):
    port = closed_port()

    result = manage("import_flask_db", url.format(port=port))

    assert result.returncode == 1
    assert result.stderr.startswith(f"CommandError: nothing imported: {message.format(port=port)}")
    assert result.stderr.count("\n") == 1
    assert "secret" not in result.stderr


def test_a_database_that_does_not_exist_is_one_line(manage):
    require(POSTGRES)

    result = manage("import_flask_db", "postgres://postgres@127.0.0.1:5432/no_such_flask_db")

    assert result.returncode == 1
    assert result.stderr.startswith(
        "CommandError: nothing imported: cannot read "
        "postgres://postgres@127.0.0.1:5432/no_such_flask_db: "
    )
    assert 'database "no_such_flask_db" does not exist' in result.stderr
    assert result.stderr.count("\n") == 1
