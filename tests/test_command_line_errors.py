"""Mistakes a user can fix end in one line that names the cause and the fix, not a traceback."""

from tests.servers import MARIADB, POSTGRES, closed_port, needs_mysqlclient, require


def assert_one_line_error(result, *expected):
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for text in expected:
        assert text in result.stderr


def test_an_unmigrated_sqlite_database_says_to_migrate(manage, tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"

    result = manage("dev_admin", env={"DATABASE_URL": url})

    assert_one_line_error(result, "has no table accounts_user", "manage.py migrate")


def test_a_closed_postgresql_port_names_host_and_port(manage):
    port = closed_port()

    result = manage("migrate", env={"DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/mb"})

    assert_one_line_error(result, f"cannot connect to the PostgreSQL server at 127.0.0.1:{port}")


@needs_mysqlclient
def test_a_closed_mariadb_port_names_host_and_port(manage):
    port = closed_port()

    result = manage("migrate", env={"DATABASE_URL": f"mysql://root@127.0.0.1:{port}/mb"})

    assert_one_line_error(result, f"cannot connect to the MariaDB/MySQL server at 127.0.0.1:{port}")


def test_a_missing_postgresql_database_says_how_to_create_it(manage):
    require(POSTGRES)

    result = manage(
        "migrate", env={"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/no_such_db"}
    )

    assert_one_line_error(
        result, 'database "no_such_db" does not exist', "createdb -h 127.0.0.1 -p 5432"
    )


def test_an_unknown_postgresql_user_is_a_refused_login(manage):
    require(POSTGRES)

    result = manage("migrate", env={"DATABASE_URL": "postgres://nobody_here@127.0.0.1:5432/test"})

    assert_one_line_error(result, 'refused the login for user "nobody_here"')


@needs_mysqlclient
def test_a_missing_mariadb_database_says_how_to_create_it(manage):
    require(MARIADB)

    result = manage("migrate", env={"DATABASE_URL": "mysql://root@127.0.0.1:3306/no_such_db"})

    assert_one_line_error(result, 'database "no_such_db" does not exist', "CREATE DATABASE")


@needs_mysqlclient
def test_a_refused_mariadb_login_names_the_user(manage):
    require(MARIADB)

    result = manage("migrate", env={"DATABASE_URL": "mysql://nobody_here@127.0.0.1:3306/test"})

    assert_one_line_error(result, 'refused the login for user "nobody_here"')


def test_with_traceback_the_whole_story_is_shown(manage, tmp_path):
    result = manage("dev_admin", "--traceback", env={"DATABASE_URL": f"sqlite:///{tmp_path}/n.db"})

    assert "Traceback" in result.stderr
