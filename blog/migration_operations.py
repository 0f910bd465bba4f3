"""Migration operations that run on one backend only, so one migration history serves all three:
the operation changes the model's state everywhere (neither `makemigrations` nor a later
migration sees a difference between backends) and the database only where it belongs."""

from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations import RunSQL
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState


class OnOneBackend(Operation):
    vendor: str  # connection.vendor: "postgresql", "sqlite" or "mysql"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class TrigramExtensionOnPostgreSQL(OnOneBackend, TrigramExtension):
    """CREATE EXTENSION pg_trgm (a trusted extension: the database's owner may create it).
    Django's own operation skips other backends going forwards but not backwards."""

    vendor = "postgresql"


class AddIndexConcurrentlyOnPostgreSQL(OnOneBackend, AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY: built without locking out writers of a large posts table."""

    vendor = "postgresql"


class RunSQLOnSQLite(OnOneBackend, RunSQL):
    vendor = "sqlite"


def has_mroonga(connection: BaseDatabaseWrapper) -> bool:
    """Whether this MariaDB server has loaded Mroonga (`make mroonga`), the engine of
    blog/migrations/0005's side table."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.ENGINES WHERE ENGINE = 'Mroonga'")
        return cursor.fetchone() is not None


class RunSQLOnMariaDBWithMroonga(RunSQL):
    """SQL for MariaDB servers that have loaded Mroonga; nothing elsewhere. Going backwards it
    runs on any MariaDB, so its reverse SQL must not need the objects to exist (IF EXISTS): a
    server without Mroonga never had them."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        connection = schema_editor.connection
        if connection.vendor == "mysql" and has_mroonga(connection):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "mysql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
