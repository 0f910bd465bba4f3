# Written by hand: MariaDB's counterpart of 0003's trigram index and 0004's FTS5 table, on MariaDB
# servers that have loaded Mroonga (`make mroonga`) only; elsewhere it does nothing, and on
# MariaDB without Mroonga `manage.py check` says how to add it (blog/checks.py).
#
# InnoDB's FULLTEXT indexes whole words; Mroonga's N-gram tokenizer finds text inside words. It
# is a storage engine, not an index on a column, so the bodies are copied into a side table of
# that engine, kept by triggers on blog_post, whoever writes (the ORM, seed_demo, raw SQL).
# Its normalizer folds case and accents as blog_post's utf8mb4_unicode_ci collation does.
#
# Mroonga ignores ROLLBACK: whatever a trigger wrote stays even when the transaction that fired
# it is rolled back. So the triggers only ever add text, never replace or remove it: an insert
# writes the body, an update appends the new body to the text already there, a delete does
# nothing. Whatever is rolled back, the side table holds every body each post has had, so it
# never misses a post; it may name posts that no longer contain the words, or no longer exist,
# and blog/search.py lets `icontains` on blog_post decide. docs/performance.md says how to clear
# those leftovers (migrate back to 0004 and forward again).

from django.db import migrations
from django_migration_linter import IgnoreMigration

from blog.migration_operations import RunSQLOnMariaDBWithMroonga

# INSERT ... ON DUPLICATE KEY UPDATE for both triggers: an id already there (a post updated, or
# an id reused after a rolled-back insert or a TRUNCATE) gets the new text after its old text.
ADD_BODY = (
    "INSERT INTO post_body_ngrams (post_id, body) VALUES (NEW.id, NEW.body) "
    "ON DUPLICATE KEY UPDATE body = CONCAT(post_body_ngrams.body, '\\n', NEW.body)"
)
NGRAMS = [
    # LONGTEXT: the bodies of a post edited many times add up past TEXT's 64 KiB.
    "CREATE TABLE post_body_ngrams ("
    "post_id BIGINT NOT NULL PRIMARY KEY, body LONGTEXT NOT NULL, "
    "FULLTEXT INDEX post_body_ngrams_body (body) "
    'COMMENT \'tokenizer "TokenBigramSplitSymbolAlphaDigit", normalizer "NormalizerMySQLUnicodeCI"\''
    ") ENGINE=Mroonga DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
    f"CREATE TRIGGER post_body_ngrams_insert AFTER INSERT ON blog_post FOR EACH ROW {ADD_BODY}",
    # Only when the body changed: save() writes every column, an unchanged body included.
    "CREATE TRIGGER post_body_ngrams_update AFTER UPDATE ON blog_post FOR EACH ROW "
    f"IF NOT NEW.body <=> OLD.body THEN {ADD_BODY}; END IF",
    # Then the posts already there (a minute a million), after the triggers, so that a post
    # written meanwhile is in the table either way, perhaps twice.
    "INSERT INTO post_body_ngrams (post_id, body) SELECT id, body FROM blog_post "
    "ON DUPLICATE KEY UPDATE body = CONCAT(post_body_ngrams.body, '\\n', blog_post.body)",
]
NO_NGRAMS = [
    "DROP TRIGGER IF EXISTS post_body_ngrams_update",
    "DROP TRIGGER IF EXISTS post_body_ngrams_insert",
    "DROP TABLE IF EXISTS post_body_ngrams",
]


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0004_body_trigram_table_on_sqlite"),
    ]

    operations = [
        # Reviewed for the migration linters (make lint-migrations): lintmigrations reads the
        # reverse SQL too, where it sees DROP TABLE; the only table dropped is the side table this
        # migration makes, on rolling it back.
        IgnoreMigration(),
        RunSQLOnMariaDBWithMroonga(NGRAMS, NO_NGRAMS),
    ]
