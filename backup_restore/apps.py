from django.apps import AppConfig


class BackupRestoreConfig(AppConfig):
    """`manage.py backup` and `restore`: each backend's own consistent copy of a live database
    (SQLite's online backup, pg_dump, mariadb-dump), written where it cannot be mistaken for a
    finished one until it is (docs/production.md, "Backups and restore").

    Named backup_restore, not backups: `backups/` is where the backups themselves go by default."""

    name = "backup_restore"
