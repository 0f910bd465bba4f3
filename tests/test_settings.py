"""Settings come from the environment; bad values stop start-up with one clear line."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from microblog.database import database_from_url
from tests.child_process import run_python

BASE_DIR = Path("/srv/microblog")


def test_the_default_database_is_app_db_in_the_project_folder():
    config = database_from_url(None, BASE_DIR)

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/srv/microblog/app.db"


def test_the_running_project_defaults_to_its_own_app_db(manage):
    result = manage(
        "shell",
        "-v0",
        "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['NAME'])",
    )

    assert result.stdout.strip() == str(Path(settings.BASE_DIR) / "app.db")


def test_sqlite_is_tuned_for_concurrent_writers():
    options = database_from_url("sqlite:////tmp/x.db", BASE_DIR)["OPTIONS"]

    assert "journal_mode=WAL" in options["init_command"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5


@pytest.mark.parametrize(
    ("url", "engine", "name", "host", "port"),
    [
        ("sqlite:////var/db/app.db", "sqlite3", "/var/db/app.db", "", ""),
        (
            "postgres://postgres@127.0.0.1:5432/microblog",
            "postgresql",
            "microblog",
            "127.0.0.1",
            5432,
        ),
        ("postgresql://u:p@db.example:6543/mb", "postgresql", "mb", "db.example", 6543),
        ("mysql://root@127.0.0.1:3306/microblog", "mysql", "microblog", "127.0.0.1", 3306),
    ],
)
def test_database_url_forms(url, engine, name, host, port):
    config = database_from_url(url, BASE_DIR)

    assert config["ENGINE"] == f"django.db.backends.{engine}"
    assert (config["NAME"], config["HOST"], config["PORT"]) == (name, host, port)


def test_a_postgresql_url_may_list_every_server_of_a_cluster():
    # libpq's own form: it tries the hosts in turn and keeps the one that takes writes.
    config = database_from_url("postgres://app:pw@db1:5432,db2:5433/microblog", BASE_DIR)

    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db1,db2", "5432,5433", "microblog")
    assert config["OPTIONS"]["target_session_attrs"] == "read-write"
    # The URL's own choice wins; one port, or none, serves every host.
    config = database_from_url("postgres://app@db1,db2/mb?target_session_attrs=any", BASE_DIR)
    assert (config["HOST"], config["PORT"]) == ("db1,db2", "")
    assert config["OPTIONS"]["target_session_attrs"] == "any"


def test_mariadb_speaks_utf8mb4_in_strict_mode():
    options = database_from_url("mysql://root@127.0.0.1/microblog", BASE_DIR)["OPTIONS"]

    assert options["charset"] == "utf8mb4"
    assert "STRICT_ALL_TABLES" in options["init_command"]


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "postgresql+psycopg://u@h/db",  # SQLAlchemy's form: Django does not take a driver suffix
        "oracle://u:p@h:1521/db",
        "postgres://u@h:notaport/db",
        "postgres://u@h:5432/",
        "postgres://u@h1:5432,h2:port/db",  # a cluster's host whose port is not a number
        "postgres://u@h1:5432,/db",  # a cluster's host left empty
    ],
)
def test_a_bad_database_url_names_the_variable_and_the_accepted_forms(url):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        database_from_url(url, BASE_DIR)

    message = str(excinfo.value)
    assert message.startswith("DATABASE_URL")
    assert "Accepted forms: sqlite:///" in message
    assert "\n" not in message


def test_a_bad_database_url_stops_manage_py_with_one_line(manage):
    result = manage("migrate", env={"DATABASE_URL": "postgresql+psycopg://u@h/db"})

    assert result.returncode == 1
    assert result.stderr.startswith("error: DATABASE_URL is not a database URL we can use")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"DJANGO_ENV": "production"}, "error: SECRET_KEY must be set when DJANGO_ENV=production"),
        ({"DEBUG": "maybe"}, "error: DEBUG must be 1/true/yes/on or 0/false/no/off, not 'maybe'"),
        ({"DJANGO_ENV": "staging"}, "error: DJANGO_ENV must be development or production"),
        (
            {"DATABASE_URL": "postgres://u@h1,h2/db?target_session_attrs=leader"},
            "error: DATABASE_URL has target_session_attrs=leader; libpq takes one of any, ",
        ),
    ],
)
def test_bad_environment_values_stop_start_up_with_one_line(manage, env, error):
    result = manage("check", env=env)

    assert result.returncode == 1
    assert result.stderr.startswith(error)
    assert result.stderr.count("\n") == 1


def test_development_has_a_stable_secret_key_so_logins_survive_restarts(manage):
    command = ("shell", "-v0", "-c", "from django.conf import settings as s; print(s.SECRET_KEY)")

    assert manage(*command).stdout == manage(*command).stdout


def test_served_through_wsgi_means_production():
    # No SECRET_KEY in the environment: the development key must not reach a real server.
    result = run_python("-c", "import microblog.wsgi")

    assert "SECRET_KEY must be set" in result.stderr


def test_time_is_utc_and_aware():
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "UTC"
