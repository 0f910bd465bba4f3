"""`manage.py check` says when MariaDB's post search has no index: migration 0005 ran on a server
without Mroonga, so the admin's search reads every post (blog/search.py)."""

from django.core.checks import CheckMessage, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.recorder import MigrationRecorder

from blog.search import NGRAM_TABLE

NGRAM_MIGRATION = ("blog", "0005_body_ngram_table_on_mariadb")


@register()
def mariadb_search_has_its_index(**kwargs: object) -> list[CheckMessage]:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "mysql":
        return []
    try:
        applied = NGRAM_MIGRATION in MigrationRecorder(connection).applied_migrations()
        tables = connection.introspection.table_names()
    except DatabaseError:
        return []  # a server that is down or refuses us: the command itself will say so
    # Before migrate, 0005 will make the table if it can; say nothing yet.
    if not applied or NGRAM_TABLE in tables:
        return []
    return [
        Warning(
            "MariaDB's post search reads every post: Mroonga was not loaded when migration "
            f"blog.0005 ran, so there is no {NGRAM_TABLE} table to search.",
            hint=(
                "Install and load Mroonga with `make mroonga` (apt-get install "
                "mariadb-plugin-mroonga, then INSTALL SONAME 'ha_mroonga' as MariaDB's root), "
                "then build the table: `manage.py migrate blog 0004 && manage.py migrate`."
            ),
            id="blog.W001",
        )
    ]
