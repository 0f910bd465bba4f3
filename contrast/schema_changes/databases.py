"""Scratch databases for the scenarios, one per scenario and tool, on the backend a URL names."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

# Django's URL schemes (dj-database-url) and the SQLAlchemy dialect+driver the Flask twin uses.
SQLALCHEMY_SCHEMES = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+mysqldb",
}


class Backend:
    """Where the scratch databases go: SQLite files in a temporary folder when `url` is empty or
    names SQLite, else databases named after the URL's database (`<name>_<suffix>`) on its server.
    `cleanup()` drops them, unless `keep` (on a server: to look at what the last scenario left).
    """

    def __init__(self, url: str = "", keep: bool = False) -> None:
        self.keep = keep
        self._made: set[str] = set()
        parts = urlsplit(url)
        self.vendor = {
            "postgres": "postgresql",
            "postgresql": "postgresql",
            "mysql": "mariadb",
        }.get(parts.scheme, "sqlite")
        self._parts = parts
        self._folder = tempfile.TemporaryDirectory(prefix="schema-changes-")

    def django_url(self, suffix: str) -> str:
        """The URL of scratch database `suffix` in Django's form (DATABASE_URL)."""
        if self.vendor == "sqlite":
            return f"sqlite:///{Path(self._folder.name) / suffix}.db"
        name = f"{self._parts.path.lstrip('/')}_{suffix}"
        return urlunsplit(self._parts._replace(path=f"/{name}"))

    def sqlalchemy_url(self, suffix: str) -> str:
        """The same database in SQLAlchemy's form, for the Flask twin and the data checks."""
        return to_sqlalchemy(self.django_url(suffix))

    def create(self, suffix: str) -> None:
        """An empty scratch database: a new SQLite file, a new MariaDB database, or on PostgreSQL
        (where dropping a database takes seconds) the same database with its schema emptied."""
        self._made.add(suffix)
        if self.vendor == "sqlite":
            Path(self.django_url(suffix).removeprefix("sqlite:///")).unlink(missing_ok=True)
            return
        name = self._database_name(suffix)
        with self._server() as server:
            if self.vendor == "mariadb":
                server.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
                server.execute(
                    sa.text(
                        f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    )
                )
                return
            exists = server.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                server.execute(sa.text(f'CREATE DATABASE "{name}"'))
                return
        with connected(self.sqlalchemy_url(suffix)) as database:
            database.execute(sa.text("DROP SCHEMA public CASCADE"))
            database.execute(sa.text("CREATE SCHEMA public"))

    def cleanup(self) -> None:
        """Drop the scratch databases made (unless asked to keep them)."""
        if self.vendor != "sqlite" and not self.keep:
            with self._server() as server:
                for suffix in sorted(self._made):
                    name = self._database_name(suffix)
                    if self.vendor == "mariadb":
                        server.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
                    else:
                        # FORCE: a connection a failed step left open must not keep it alive.
                        server.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self._made.clear()
        self._folder.cleanup()

    def existing(self, suffixes: tuple[str, ...]) -> list[str]:
        """Which of the scratch databases named by `suffixes` exist now (files, on SQLite)."""
        if self.vendor == "sqlite":
            files = [self.django_url(suffix).removeprefix("sqlite:///") for suffix in suffixes]
            return [name for name in files if Path(name).exists()]
        names = [self._database_name(suffix) for suffix in suffixes]
        query = (
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name IN :names"
            if self.vendor == "mariadb"
            else "SELECT datname FROM pg_database WHERE datname IN :names"
        )
        statement = sa.text(query).bindparams(sa.bindparam("names", expanding=True))
        with self._server() as server:
            return list(server.execute(statement, {"names": names}).scalars())

    def _database_name(self, suffix: str) -> str:
        return urlsplit(self.django_url(suffix)).path.lstrip("/")

    @contextmanager
    def _server(self) -> Iterator[sa.Connection]:
        """A connection to the server's maintenance database, outside any transaction."""
        maintenance = "postgres" if self.vendor == "postgresql" else ""
        url = to_sqlalchemy(urlunsplit(self._parts._replace(path=f"/{maintenance}")))
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()


def to_sqlalchemy(url: str) -> str:
    """A Django-style database URL (postgres://, mysql://, sqlite:///) in SQLAlchemy's form."""
    scheme, rest = url.split("://", 1)
    if scheme == "mysql":
        rest += "&charset=utf8mb4" if "?" in rest else "?charset=utf8mb4"
    return f"{SQLALCHEMY_SCHEMES.get(scheme, scheme)}://{rest}"


@contextmanager
def connected(url: str) -> Iterator[sa.Connection]:
    """A connection to `url` (SQLAlchemy's form), in a transaction committed at the end."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()
