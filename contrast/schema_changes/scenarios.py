"""The schema changes, in the issue's order of risk: each says how the models change on both
sides, what to answer Django, the review edit (if the generated file needs one) and how to check
the chapter's data after the upgrade and after the downgrade."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from contrast.schema_changes.copies import Edit
from contrast.schema_changes.data import (
    TIMESTAMP,
    USERS,
    Facts,
    bodies,
    columns,
    password_hashes,
    tables,
    user,
)

Check = Callable[[sa.Connection], Facts]


@dataclass
class Side:
    """One tool's half of a scenario."""

    models: list[Edit]  # (old, new) edits to the copy's models.py
    answers: str | None = None  # Django: what to type at makemigrations' questions
    review: list[Edit] = field(default_factory=list)  # edits to the generated file
    review_on: str | None = None  # the only backend the review edit is for (None: all)
    # Edits on top of the reviewed file (or the generated one) that keep the code deployed before
    # the migration working while it runs and after; on the backends `live_on` names.
    live: list[Edit] = field(default_factory=list)
    live_on: tuple[str, ...] = ("postgresql", "mariadb")
    empty: bool = False  # an empty script to fill in (a data migration): nothing to detect
    # A review made outside the migration file, in how migrations run (scenario i): edits to
    # other files of the copy, by path inside it (a file not there yet starts empty).
    review_elsewhere: dict[str, list[Edit]] = field(default_factory=dict)
    # Release N+1's migration, written on an empty one (Scenario.contract_name).
    contract: list[Edit] = field(default_factory=list)


@dataclass
class Branch:
    """One developer's model change, made in parallel with another's (scenario h)."""

    name: str
    message: str
    django: list[Edit]
    flask: list[Edit]


@dataclass
class Scenario:
    key: str
    title: str
    name: str  # the migration's name: makemigrations -n, and the Alembic revision id
    message: str  # flask db migrate -m
    django: Side
    flask: Side
    check_upgraded: Check
    check_downgraded: Check
    after_upgrade: Callable[[sa.Connection], None] | None = None
    # The step a reviewed downgrade's refusal asks for, before it is run again.
    before_retry: Callable[[sa.Connection], None] | None = None
    branches: list[Branch] = field(default_factory=list)  # made in parallel, then merged
    # A big posts table, and a writer inserting posts as the old code does (into post.body)
    # while the migration upgrades and downgrades.
    under_load: bool = False
    # A long read of the posts table (a report) holding it while the upgrade starts; on
    # PostgreSQL and MariaDB, whose locks queue writes behind a waiting migration.
    behind_a_report: bool = False
    # A second release's migration, made after the first (scenario c3's contract step): its name
    # and message; each Side's `contract` edits its empty file.
    contract_name: str = ""
    contract_message: str = ""


# The chapter's models, as the two copies spell them.
FLASK_BODY = "    body: so.Mapped[str] = so.mapped_column(sa.String(140))\n"
DJANGO_BODY = "    body = models.CharField(max_length=140)\n"


def _rename_column_upgraded(connection: sa.Connection) -> Facts:
    return bodies(connection, column="text")


def _rename_table_upgraded(connection: sa.Connection) -> Facts:
    if "entry" not in tables(connection):
        return Facts(False, "no table entry")
    return bodies(connection, table="entry")


RENAME_IN_CODE_ONLY = Scenario(
    key="c0",
    title="rename in code only: post.text, still the column body",
    name="rename_body_to_text_in_code",
    message="rename body to text in code",
    django=Side(
        models=[(DJANGO_BODY, '    text = models.CharField(max_length=140, db_column="body")\n')],
        answers="y\n",
    ),
    flask=Side(
        models=[
            (FLASK_BODY, '    text: so.Mapped[str] = so.mapped_column("body", sa.String(140))\n'),
            ("{self.body}", "{self.text}"),
        ],
    ),
    check_upgraded=bodies,
    check_downgraded=bodies,
    under_load=True,
)


RENAME_COLUMN = Scenario(
    key="c1",
    title="rename a column: post.body to post.text",
    name="rename_body_to_text",
    message="rename body to text",
    django=Side(
        models=[(DJANGO_BODY, DJANGO_BODY.replace("body", "text"))],
        answers="y\n",
    ),
    flask=Side(
        models=[
            (FLASK_BODY, FLASK_BODY.replace("body", "text")),
            ("{self.body}", "{self.text}"),
        ],
        review=[
            (
                "        batch_op.add_column(sa.Column('text', sa.String(length=140), nullable=False))\n"
                "        batch_op.drop_column('body')\n",
                "        batch_op.alter_column('body', new_column_name='text',\n"
                "               existing_type=sa.String(length=140), existing_nullable=False)\n",
            ),
            (
                re.compile(
                    r"        batch_op\.add_column\(sa\.Column\('body', .*, nullable=False\)\)\n"
                    r"        batch_op\.drop_column\('text'\)\n"
                ),
                "        batch_op.alter_column('text', new_column_name='body',\n"
                "               existing_type=sa.String(length=140), existing_nullable=False)\n",
            ),
        ],
    ),
    check_upgraded=_rename_column_upgraded,
    check_downgraded=bodies,
    under_load=True,
)

RENAME_TABLE = Scenario(
    key="c2",
    title="rename a table: post to entry",
    name="rename_post_to_entry",
    message="rename post to entry",
    django=Side(
        models=[('db_table = "post"', 'db_table = "entry"')],
        live=[
            (
                "from django.db import migrations\n",
                "from django.db import migrations\n"
                "from django_migration_linter import IgnoreMigration\n"
                "\n"
                '# The code still deployed writes to "post": until it is gone, a view by that name\n'
                '# passes its inserts on to "entry" (a later migration drops it). MariaDB\'s DDL is not\n'
                "# transactional: there the table and the view change names in one RENAME, so that\n"
                '# "post" is never missing.\n'
                "RENAME = {\n"
                '    "postgresql": ["ALTER TABLE post RENAME TO entry", "CREATE VIEW post AS SELECT * FROM entry"],\n'
                '    "mysql": [\n'
                '        "CREATE TABLE entry LIKE post",\n'
                '        "CREATE VIEW post_next AS SELECT * FROM entry",\n'
                '        "RENAME TABLE entry TO entry_placeholder, post TO entry, post_next TO post",\n'
                '        "DROP TABLE entry_placeholder",\n'
                "    ],\n"
                "}\n"
                "RENAME_BACK = {\n"
                '    "postgresql": ["DROP VIEW post", "ALTER TABLE entry RENAME TO post"],\n'
                '    "mysql": ["RENAME TABLE post TO post_view, entry TO post", "DROP VIEW post_view"],\n'
                "}\n"
                "\n"
                "\n"
                "def rename_behind_a_view(apps, schema_editor):\n"
                "    for statement in RENAME[schema_editor.connection.vendor]:\n"
                "        schema_editor.execute(statement)\n"
                "\n"
                "\n"
                "def rename_back(apps, schema_editor):\n"
                "    for statement in RENAME_BACK[schema_editor.connection.vendor]:\n"
                "        schema_editor.execute(statement)\n",
            ),
            (
                "        migrations.AlterModelTable(\n"
                "            name='post',\n"
                "            table='entry',\n"
                "        ),\n",
                "        # Reviewed for the migration linters: the view keeps the old name writing.\n"
                "        # squawk-ignore renaming-table: the view keeps the old name writing\n"
                "        IgnoreMigration(),\n"
                "        migrations.SeparateDatabaseAndState(\n"
                "            state_operations=[migrations.AlterModelTable(name='post', table='entry')],\n"
                "            database_operations=[migrations.RunPython(rename_behind_a_view, rename_back)],\n"
                "        ),\n",
            ),
        ],
    ),
    flask=Side(
        models=[
            ("class Post(db.Model):\n", 'class Post(db.Model):\n    __tablename__ = "entry"\n\n')
        ],
        review=[
            (
                re.compile(
                    r"    op\.create_table\('entry',.*?    op\.drop_table\('post'\)\n", re.S
                ),
                "    op.rename_table('post', 'entry')\n"
                "    with op.batch_alter_table('entry', schema=None) as batch_op:\n"
                "        batch_op.create_index(batch_op.f('ix_entry_timestamp'), ['timestamp'], unique=False)\n"
                "        batch_op.create_index(batch_op.f('ix_entry_user_id'), ['user_id'], unique=False)\n"
                "        batch_op.drop_index('ix_post_timestamp')\n"
                "        batch_op.drop_index('ix_post_user_id')\n",
            ),
            (
                re.compile(
                    r"    op\.create_table\('post',.*?    op\.drop_table\('entry'\)\n", re.S
                ),
                "    op.rename_table('entry', 'post')\n"
                "    with op.batch_alter_table('post', schema=None) as batch_op:\n"
                "        batch_op.create_index(batch_op.f('ix_post_timestamp'), ['timestamp'], unique=False)\n"
                "        batch_op.create_index(batch_op.f('ix_post_user_id'), ['user_id'], unique=False)\n"
                "        batch_op.drop_index('ix_entry_timestamp')\n"
                "        batch_op.drop_index('ix_entry_user_id')\n",
            ),
        ],
        live=[
            (
                re.compile(
                    r"    op\.rename_table\('post', 'entry'\)\n"
                    r"    with op\.batch_alter_table\('entry', schema=None\) as batch_op:\n"
                    r".*?        batch_op\.drop_index\('ix_post_user_id'\)\n",
                    re.S,
                ),
                '    # The code still deployed writes to "post": until it is gone, a view by that name\n'
                '    # passes its inserts on to "entry" (a later migration drops it).\n'
                "    # squawk-ignore renaming-table, renaming-object: the view keeps the old name writing\n"
                "    if op.get_bind().dialect.name == 'mysql':\n"
                "        # MariaDB's DDL is not transactional: the table and the view change names in\n"
                '        # one RENAME, so that "post" is never missing.\n'
                "        op.execute('CREATE TABLE entry LIKE post')\n"
                "        op.execute('CREATE VIEW post_next AS SELECT * FROM entry')\n"
                "        op.execute('RENAME TABLE entry TO entry_placeholder, post TO entry, post_next TO post')\n"
                "        op.execute('DROP TABLE entry_placeholder')\n"
                "    else:\n"
                "        op.rename_table('post', 'entry')\n"
                "        op.execute('CREATE VIEW post AS SELECT * FROM entry')\n"
                "    # Renamed, not built again: PostgreSQL would keep the renamed table locked while\n"
                "    # it builds them.\n"
                "    rename_indexes('post', 'entry')\n",
            ),
            (
                re.compile(
                    r"    op\.rename_table\('entry', 'post'\)\n"
                    r".*?        batch_op\.drop_index\('ix_entry_user_id'\)\n",
                    re.S,
                ),
                "    if op.get_bind().dialect.name == 'mysql':\n"
                "        op.execute('RENAME TABLE post TO post_view, entry TO post')\n"
                "        op.execute('DROP VIEW post_view')\n"
                "    else:\n"
                "        op.execute('DROP VIEW post')\n"
                "        op.rename_table('entry', 'post')\n"
                "    rename_indexes('entry', 'post')\n",
            ),
            (
                "def upgrade():\n",
                "def rename_indexes(old, new):\n"
                "    if op.get_bind().dialect.name == 'postgresql':\n"
                "        statement = 'ALTER INDEX ix_{old}_{column} RENAME TO ix_{new}_{column}'\n"
                "    else:\n"
                "        statement = 'ALTER TABLE {new} RENAME INDEX ix_{old}_{column} TO ix_{new}_{column}'\n"
                "    for column in ('timestamp', 'user_id'):\n"
                "        op.execute(statement.format(old=old, new=new, column=column))\n"
                "\n"
                "\n"
                "def upgrade():\n",
            ),
        ],
    ),
    check_upgraded=_rename_table_upgraded,
    check_downgraded=bodies,
    under_load=True,
)


# Scenario c3: the rename in two releases (expand, then contract). Release N's files hold the SQL
# that keeps body and text equal, and the copy; release N+1's take them from release N's file.
KEEP_EQUAL_SOURCE = '''\
# Release N of renaming post.body to post.text: both columns, kept equal by the database whichever
# one a writer sets. The old code still running writes body, the new code text; an insert leaves
# the other column at its default '', and the trigger copies the one written into it.
KEEP_EQUAL = {
    "postgresql": [
        """CREATE FUNCTION post_keep_body_and_text_equal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.text = '' THEN NEW.text := NEW.body; ELSE NEW.body := NEW.text; END IF;
    ELSIF NEW.body IS DISTINCT FROM OLD.body THEN NEW.text := NEW.body;
    ELSE NEW.body := NEW.text;
    END IF;
    RETURN NEW;
END $$""",
        "CREATE TRIGGER post_keep_body_and_text_equal BEFORE INSERT OR UPDATE ON post"
        " FOR EACH ROW EXECUTE FUNCTION post_keep_body_and_text_equal()",
    ],
    # BINARY: the columns' collation ignores case, and a change of case is a change.
    "mysql": [
        "CREATE TRIGGER post_text_on_insert BEFORE INSERT ON post FOR EACH ROW"
        " IF NEW.text = '' THEN SET NEW.text = NEW.body; ELSE SET NEW.body = NEW.text; END IF",
        "CREATE TRIGGER post_text_on_update BEFORE UPDATE ON post FOR EACH ROW"
        " IF NOT BINARY NEW.body <=> BINARY OLD.body THEN SET NEW.text = NEW.body;"
        " ELSE SET NEW.body = NEW.text; END IF",
    ],
    # SQLite's triggers cannot change the row being written: they update it just after.
    "sqlite": [
        "CREATE TRIGGER post_text_on_insert AFTER INSERT ON post FOR EACH ROW BEGIN"
        " UPDATE post SET text = NEW.body WHERE id = NEW.id AND NEW.text = '';"
        " UPDATE post SET body = NEW.text WHERE id = NEW.id AND NEW.text <> ''; END",
        "CREATE TRIGGER post_body_on_update AFTER UPDATE OF body ON post FOR EACH ROW"
        " WHEN NEW.body IS NOT OLD.body BEGIN UPDATE post SET text = NEW.body WHERE id = NEW.id; END",
        "CREATE TRIGGER post_text_on_update AFTER UPDATE OF text ON post FOR EACH ROW"
        " WHEN NEW.text IS NOT OLD.text AND NEW.body IS OLD.body"
        " BEGIN UPDATE post SET body = NEW.text WHERE id = NEW.id; END",
    ],
}
STOP_KEEPING_EQUAL = {
    "postgresql": [
        "DROP TRIGGER post_keep_body_and_text_equal ON post",
        "DROP FUNCTION post_keep_body_and_text_equal()",
    ],
    "mysql": [
        "DROP TRIGGER post_text_on_insert",
        "DROP TRIGGER post_text_on_update",
    ],
    "sqlite": [
        "DROP TRIGGER post_text_on_insert",
        "DROP TRIGGER post_body_on_update",
        "DROP TRIGGER post_text_on_update",
    ],
}
# Rows copied per transaction: each batch locks its rows for a moment, never the table.
BATCH = 10_000
'''

DJANGO_EXPAND_HELPERS = '''

def keep_equal(apps, schema_editor):
    for statement in KEEP_EQUAL[schema_editor.connection.vendor]:
        schema_editor.execute(statement)


def stop_keeping_equal(apps, schema_editor):
    for statement in STOP_KEEPING_EQUAL[schema_editor.connection.vendor]:
        schema_editor.execute(statement)


def copy_in_batches(source, target):
    """UPDATE post SET target = source, BATCH ids at a time, each batch its own transaction."""

    def copy(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT max(id) FROM post")
            last = cursor.fetchone()[0] or 0
            for start in range(0, last, BATCH):
                cursor.execute(
                    f"UPDATE post SET {target} = {source} WHERE id > %s AND id <= %s",
                    [start, start + BATCH],
                )

    return copy
'''

FLASK_EXPAND_HELPERS = '''

def copy_in_batches(source, target):
    """UPDATE post SET target = source, BATCH ids at a time, each batch its own transaction."""
    if op.get_context().as_sql:
        return  # --sql: the batches need the live table's ids
    connection = op.get_bind()
    with op.get_context().autocommit_block():
        last = connection.scalar(sa.text('SELECT max(id) FROM post')) or 0
        for start in range(0, last, BATCH):
            connection.execute(
                sa.text(f'UPDATE post SET {target} = {source} WHERE id > :start AND id <= :end'),
                {'start': start, 'end': start + BATCH})
'''

# Why release N+1 may drop body: the mark for the migration linters, the same in both tools.
DROP_BODY_REVIEWED = (
    "# Reviewed for the migration linters: only the code before release N needed body, the\n"
    "# trigger and text's default.\n"
    "# squawk-ignore ban-drop-column, ban-drop-function, ban-drop-default: only the code before release N needed them\n"
)


def _indented(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line if line.strip() else line for line in text.splitlines(True))


def _texts_in_text(connection: sa.Connection) -> Facts:
    return bodies(connection, column="text")


RENAME_IN_TWO_RELEASES = Scenario(
    key="c3",
    title="rename a column in two releases: post.text beside post.body, then body dropped",
    name="add_text_beside_body",
    message="add text beside body",
    contract_name="drop_body",
    contract_message="drop body",
    django=Side(
        models=[(DJANGO_BODY, DJANGO_BODY.replace("body", "text"))],
        empty=True,
        review=[
            (
                "from django.db import migrations\n",
                "from django.db import migrations, models\n\n"
                + KEEP_EQUAL_SOURCE
                + DJANGO_EXPAND_HELPERS,
            ),
            (
                "class Migration(migrations.Migration):\n",
                "class Migration(migrations.Migration):\n"
                "    # Each batch of the copy commits on its own: no lock held long.\n"
                "    atomic = False\n",
            ),
            (
                "    operations = [\n    ]\n",
                "    operations = [\n"
                "        migrations.SeparateDatabaseAndState(\n"
                "            # This release's code names text only; body stays in the database for the\n"
                "            # code still running, until release N+1 drops it.\n"
                "            state_operations=[\n"
                "                migrations.RemoveField(model_name='post', name='body'),\n"
                "                migrations.AddField(\n"
                "                    model_name='post', name='text', field=models.CharField(max_length=140)\n"
                "                ),\n"
                "            ],\n"
                "            # Each code inserts naming one column: the other needs a default.\n"
                "            database_operations=[\n"
                "                migrations.AlterField(\n"
                "                    model_name='post',\n"
                "                    name='body',\n"
                "                    field=models.CharField(max_length=140, db_default=''),\n"
                "                ),\n"
                "                migrations.AddField(\n"
                "                    model_name='post',\n"
                "                    name='text',\n"
                "                    field=models.CharField(max_length=140, db_default=''),\n"
                "                ),\n"
                "                migrations.RunPython(keep_equal, stop_keeping_equal),\n"
                "            ],\n"
                "        ),\n"
                "        migrations.RunPython(copy_in_batches('body', 'text'), migrations.RunPython.noop),\n"
                "    ]\n",
            ),
        ],
        contract=[
            (
                "from django.db import migrations\n",
                "from importlib import import_module\n"
                "\n"
                "from django.db import migrations\n"
                "from django_migration_linter import IgnoreMigration\n"
                "\n"
                "# Release N's triggers and copy, from its own file.\n"
                "release_n = import_module('blog.migrations.0002_add_text_beside_body')\n"
                "\n"
                "\n"
                "# The code of release N always writes text: it needs no default any more. (SQLite keeps\n"
                "# it: dropping a default rebuilds the table there.)\n"
                "def drop_text_default(apps, schema_editor):\n"
                "    if schema_editor.connection.vendor != 'sqlite':\n"
                "        schema_editor.execute('ALTER TABLE post ALTER COLUMN text DROP DEFAULT')\n"
                "\n"
                "\n"
                "def restore_text_default(apps, schema_editor):\n"
                "    if schema_editor.connection.vendor != 'sqlite':\n"
                "        schema_editor.execute(\"ALTER TABLE post ALTER COLUMN text SET DEFAULT ''\")\n",
            ),
            (
                "class Migration(migrations.Migration):\n",
                "class Migration(migrations.Migration):\n"
                "    # Going back, the copy commits batch by batch.\n"
                "    atomic = False\n",
            ),
            (
                "    operations = [\n    ]\n",
                "    operations = [\n"
                + _indented(DROP_BODY_REVIEWED, 8)
                + "        IgnoreMigration(),\n"
                "        # Going back (bottom up): body again, kept equal to text, filled from it.\n"
                "        migrations.RunPython(migrations.RunPython.noop, release_n.copy_in_batches('text', 'body')),\n"
                "        migrations.RunPython(release_n.stop_keeping_equal, release_n.keep_equal),\n"
                "        migrations.RunSQL(\n"
                "            'ALTER TABLE post DROP COLUMN body',\n"
                "            reverse_sql=\"ALTER TABLE post ADD COLUMN body varchar(140) DEFAULT '' NOT NULL\",\n"
                "        ),\n"
                "        migrations.RunPython(drop_text_default, restore_text_default),\n"
                "    ]\n",
            ),
        ],
    ),
    flask=Side(
        models=[
            (FLASK_BODY, FLASK_BODY.replace("body", "text")),
            ("{self.body}", "{self.text}"),
        ],
        empty=True,
        review=[
            (
                "import sqlalchemy as sa\n",
                "import sqlalchemy as sa\n\n" + KEEP_EQUAL_SOURCE + FLASK_EXPAND_HELPERS,
            ),
            (
                "def upgrade():\n    pass\n",
                "def upgrade():\n"
                "    # This release's code names text only; body stays in the database for the code\n"
                "    # still running, until release N+1 drops it. Each code inserts naming one column:\n"
                "    # the other needs a default.\n"
                "    with op.batch_alter_table('post', schema=None) as batch_op:\n"
                "        batch_op.alter_column('body', existing_type=sa.String(length=140),\n"
                "               existing_nullable=False, server_default='')\n"
                "        batch_op.add_column(sa.Column('text', sa.String(length=140), nullable=False,\n"
                "                                      server_default=''))\n"
                "    for statement in KEEP_EQUAL[op.get_context().dialect.name]:\n"
                "        op.execute(statement)\n"
                "    copy_in_batches('body', 'text')\n",
            ),
            (
                "def downgrade():\n    pass\n",
                "def downgrade():\n"
                "    for statement in STOP_KEEPING_EQUAL[op.get_context().dialect.name]:\n"
                "        op.execute(statement)\n"
                "    with op.batch_alter_table('post', schema=None) as batch_op:\n"
                "        batch_op.drop_column('text')\n"
                "        batch_op.alter_column('body', existing_type=sa.String(length=140),\n"
                "               existing_nullable=False, server_default=None)\n",
            ),
        ],
        contract=[
            (
                "def upgrade():\n    pass\n",
                "def release_n():\n"
                '    """Release N\'s triggers and copy, from its own file."""\n'
                "    return op.get_context().script.get_revision('addtextbesidebody').module\n"
                "\n"
                "\n"
                "def upgrade():\n"
                + _indented(DROP_BODY_REVIEWED, 4)
                + "    for statement in release_n().STOP_KEEPING_EQUAL[op.get_context().dialect.name]:\n"
                "        op.execute(statement)\n"
                "    op.drop_column('post', 'body')\n"
                "    # The code of release N always writes text: it needs no default any more. (SQLite\n"
                "    # keeps it: dropping a default rebuilds the table there.)\n"
                "    if op.get_context().dialect.name != 'sqlite':\n"
                "        op.alter_column('post', 'text', existing_type=sa.String(length=140),\n"
                "                        existing_nullable=False, server_default=None)\n",
            ),
            (
                "def downgrade():\n    pass\n",
                "def downgrade():\n"
                "    if op.get_context().dialect.name != 'sqlite':\n"
                "        op.alter_column('post', 'text', existing_type=sa.String(length=140),\n"
                "                        existing_nullable=False, server_default='')\n"
                "    op.add_column('post', sa.Column('body', sa.String(length=140), nullable=False,\n"
                "                                    server_default=''))\n"
                "    for statement in release_n().KEEP_EQUAL[op.get_context().dialect.name]:\n"
                "        op.execute(statement)\n"
                "    release_n().copy_in_batches('text', 'body')\n",
            ),
        ],
    ),
    check_upgraded=_texts_in_text,
    check_downgraded=bodies,
    under_load=True,
)


def _columns_added(connection: sa.Connection) -> Facts:
    rows: list[tuple[str | None, datetime | None]] = [
        (about_me, last_seen)
        for about_me, last_seen in connection.execute(
            sa.select(sa.column("about_me"), sa.column("last_seen")).select_from(user)
        )
    ]
    filled = sum(about_me is not None and last_seen is not None for about_me, last_seen in rows)
    return Facts(
        filled == len(USERS),
        f"{len(rows)}/{len(USERS)} users, about_me and last_seen set in {filled}",
    )


def _users_without_added_columns(connection: sa.Connection) -> Facts:
    count = connection.execute(sa.select(sa.func.count()).select_from(user)).scalar_one()
    gone = not {"about_me", "last_seen"} & columns(connection, "user")
    return Facts(count == len(USERS) and gone, f"{count}/{len(USERS)} users, columns gone: {gone}")


ADD_NOT_NULL_COLUMNS = Scenario(
    key="b",
    title="add NOT NULL columns to users with rows: about_me, last_seen",
    name="about_me_and_last_seen",
    message="about me and last seen",
    django=Side(
        models=[
            (
                "    password_hash = models.CharField(max_length=256, null=True)\n",
                "    password_hash = models.CharField(max_length=256, null=True)\n"
                "    about_me = models.CharField(max_length=140)\n"
                "    last_seen = models.DateTimeField(default=timezone.now)\n",
            )
        ],
        answers="1\n''\n",
    ),
    flask=Side(
        models=[
            (
                "    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(256))\n",
                "    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(256))\n"
                "    about_me: so.Mapped[str] = so.mapped_column(sa.String(140))\n"
                "    last_seen: so.Mapped[datetime] = so.mapped_column(\n"
                "        default=lambda: datetime.now(UTC)\n"
                "    )\n",
            )
        ],
        review=[
            (
                "        batch_op.add_column(sa.Column('about_me', sa.String(length=140), nullable=False))\n"
                "        batch_op.add_column(sa.Column('last_seen', sa.DateTime(), nullable=False))\n",
                "        batch_op.add_column(sa.Column('about_me', sa.String(length=140), nullable=False, server_default=''))\n"
                "        batch_op.add_column(sa.Column('last_seen', sa.DateTime(), nullable=True))\n"
                "\n"
                "    # The users already there were last seen now (Django's one-off default does the same).\n"
                "    op.execute(sa.table('user', sa.column('last_seen')).update().values(last_seen=sa.func.now()))\n"
                "    with op.batch_alter_table('user', schema=None) as batch_op:\n"
                "        batch_op.alter_column('last_seen', existing_type=sa.DateTime(), nullable=False)\n",
            )
        ],
    ),
    check_upgraded=_columns_added,
    check_downgraded=_users_without_added_columns,
)


def _no_password_hash(connection: sa.Connection) -> Facts:
    count = connection.execute(sa.select(sa.func.count()).select_from(user)).scalar_one()
    gone = "password_hash" not in columns(connection, "user")
    return Facts(count == len(USERS) and gone, f"{count}/{len(USERS)} users, column gone: {gone}")


DROP_COLUMN = Scenario(
    key="g",
    title="drop a column: user.password_hash",
    name="drop_password_hash",
    message="drop password hash",
    django=Side(models=[("    password_hash = models.CharField(max_length=256, null=True)\n", "")]),
    flask=Side(
        models=[
            ("    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(256))\n", "")
        ]
    ),
    check_upgraded=_no_password_hash,
    check_downgraded=password_hashes,
    under_load=True,
)

LONG_POST = "x" * 200


def _write_long_post(connection: sa.Connection) -> None:
    # Its id from the table's own sequence: the writer's later inserts must not collide with it.
    post = sa.table("post", *(sa.column(c) for c in ("body", "timestamp", "user_id")))
    connection.execute(sa.insert(post).values(body=LONG_POST, timestamp=TIMESTAMP, user_id=1))


def _long_post(connection: sa.Connection) -> str:
    """The long post's text: the only one that starts with an x."""
    return connection.execute(sa.text("SELECT body FROM post WHERE body LIKE 'x%'")).scalar_one()


def _widened(connection: sa.Connection) -> Facts:
    kept = bodies(connection)
    body = _long_post(connection)
    return Facts(kept.kept and body == LONG_POST, f"{kept.detail}, a 200-character post fits")


def _narrowed(connection: sa.Connection) -> Facts:
    kept = bodies(connection)
    body = _long_post(connection)
    return Facts(
        kept.kept,
        f"{kept.detail}, a longer post refused: {_refuses_141_characters(connection)},"
        f" the 200-character post now {len(body)} characters",
    )


def _refuses_141_characters(connection: sa.Connection) -> bool:
    """Whether the table now refuses a post of 141 characters (the attempt is rolled back)."""
    post = sa.table("post", *(sa.column(c) for c in ("body", "timestamp", "user_id")))
    attempt = connection.begin_nested()
    try:
        connection.execute(sa.insert(post).values(body="y" * 141, timestamp=TIMESTAMP, user_id=1))
    except sa.exc.DBAPIError:
        return True
    finally:
        attempt.rollback()
    return False


def _shorten_long_posts(connection: sa.Connection) -> None:
    """What the reviewed downgrade's refusal asks a person to do (after saving the texts): here,
    cut them to 140 characters."""
    post = sa.table("post", sa.column("body"))
    connection.execute(
        post.update()
        .where(sa.func.char_length(post.c.body) > 140)
        .values(body=sa.func.substr(post.c.body, 1, 140))
    )


# The review's mark for the migration linters (the same words in both tools' files).
WIDENING_REVIEWED = (
    "# Reviewed for the migration linters: varchar(140) to varchar(280) only widens.\n"
    "# squawk-ignore changing-column-type: PostgreSQL changes its catalogue, rewrites no row\n"
)

# The start of the reviewed downgrades' refusal, the same words from both tools.
TOO_LONG = "cannot go back to 140 characters: {count} post(s) longer (ids {ids});"

# d kept live (PostgreSQL, MariaDB): back to 140 characters without rewriting or copying the table,
# which writes wait for. The same words in both tools' files.
AT_MOST_140_SOURCE = """\
# Back to 140 characters, the column stays varchar(280) and a constraint refuses longer posts:
# narrowing the type rewrites the table (PostgreSQL) or copies it (MariaDB), and writes wait
# meanwhile. PostgreSQL adds the constraint NOT VALID, which writes wait for only an instant,
# then checks the rows already there while they go on (VALIDATE, in a transaction of its own).
# MariaDB copies the table to add a CHECK too, so triggers refuse the longer posts instead;
# the rows already there were counted just before.
AT_MOST_140 = {
    "postgresql": [
        "ALTER TABLE post ADD CONSTRAINT post_body_max_140 CHECK (char_length(body) <= 140) NOT VALID",
        "ALTER TABLE post VALIDATE CONSTRAINT post_body_max_140",
    ],
    "mysql": [
        f"CREATE TRIGGER post_body_max_140_on_{event.lower()} BEFORE {event} ON post FOR EACH ROW"
        " IF char_length(NEW.body) > 140 THEN"
        " SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'post_body_max_140: over 140 characters';"
        " END IF"
        for event in ("INSERT", "UPDATE")
    ],
}
# squawk-ignore ban-drop-constraint: the constraint dropped is the limit of 140 this lifts
UP_TO_280 = {
    "postgresql": [
        "ALTER TABLE post DROP CONSTRAINT IF EXISTS post_body_max_140",
        "ALTER TABLE post ALTER COLUMN body TYPE varchar(280)",
    ],
    "mysql": [
        "DROP TRIGGER IF EXISTS post_body_max_140_on_insert",
        "DROP TRIGGER IF EXISTS post_body_max_140_on_update",
        "ALTER TABLE post MODIFY body varchar(280) NOT NULL",
    ],
}
"""

D_DJANGO_LIVE: list[Edit] = [
    (
        '            "save their text, shorten or delete them, then downgrade again"\n        )\n',
        '            "save their text, shorten or delete them, then downgrade again"\n        )\n'
        "\n\n" + AT_MOST_140_SOURCE + "\n\n"
        "def up_to_280(apps, schema_editor):\n"
        "    for statement in UP_TO_280[schema_editor.connection.vendor]:\n"
        "        schema_editor.execute(statement)\n"
        "\n\n"
        "def at_most_140(apps, schema_editor):\n"
        "    for statement in AT_MOST_140[schema_editor.connection.vendor]:\n"
        "        schema_editor.execute(statement)\n",
    ),
    (
        "class Migration(migrations.Migration):\n",
        "class Migration(migrations.Migration):\n"
        "    # Each statement in a transaction of its own: VALIDATE after the constraint is in place.\n"
        "    atomic = False\n",
    ),
    (
        "        migrations.AlterField(\n"
        "            model_name='post',\n"
        "            name='body',\n"
        "            field=models.CharField(max_length=280),\n"
        "        ),\n",
        "        migrations.SeparateDatabaseAndState(\n"
        "            state_operations=[\n"
        "                migrations.AlterField(\n"
        "                    model_name='post', name='body', field=models.CharField(max_length=280)\n"
        "                ),\n"
        "            ],\n"
        "            database_operations=[migrations.RunPython(up_to_280, at_most_140)],\n"
        "        ),\n",
    ),
]

D_FLASK_LIVE: list[Edit] = [
    ("import sqlalchemy as sa\n", "import sqlalchemy as sa\n\n" + AT_MOST_140_SOURCE),
    (
        re.compile(
            r"    with op\.batch_alter_table\('post', schema=None\) as batch_op:\n"
            r"        batch_op\.alter_column\('body',\n"
            r"               existing_type=\w+\.\w+\(length=140\),\n.*?existing_nullable=False\)\n",
            re.S,
        ),
        "    for statement in UP_TO_280[op.get_context().dialect.name]:\n"
        "        op.execute(statement)\n",
    ),
    (
        re.compile(
            r"    with op\.batch_alter_table\('post', schema=None\) as batch_op:\n"
            r"        batch_op\.alter_column\('body',\n"
            r"               existing_type=\w+\.\w+\(length=280\),\n.*?existing_nullable=False\)\n",
            re.S,
        ),
        "    with op.get_context().autocommit_block():\n"
        "        for statement in AT_MOST_140[op.get_context().dialect.name]:\n"
        "            op.execute(statement)\n",
    ),
]

WIDEN_COLUMN = Scenario(
    key="d",
    title="widen a column: post.body from 140 to 280 characters",
    name="body_280",
    message="body 280",
    django=Side(
        models=[(DJANGO_BODY, DJANGO_BODY.replace("140", "280"))],
        review=[
            (
                "from django.db import migrations, models\n",
                "from django.db import migrations, models\n"
                "from django.db.models.functions import Length\n"
                "from django_migration_linter import IgnoreMigration\n"
                "\n"
                "\n"
                "def refuse_posts_over_140(apps, schema_editor):\n"
                "    # Narrowing fails on a longer post (PostgreSQL, MariaDB) or keeps it as it is\n"
                "    # (SQLite): stop before, naming them, and let a person choose what to cut.\n"
                '    Post = apps.get_model("blog", "Post")\n'
                '    too_long = Post.objects.annotate(length=Length("body")).filter(length__gt=140)\n'
                "    count = too_long.count()\n"
                "    if count:\n"
                '        ids = list(too_long.order_by("id").values_list("id", flat=True)[:10])\n'
                "        raise RuntimeError(\n"
                f'            f"{TOO_LONG} "\n'
                '            "save their text, shorten or delete them, then downgrade again"\n'
                "        )\n",
            ),
            (
                "    operations = [\n",
                "    operations = [\n"
                f"{WIDENING_REVIEWED.replace('#', '        #')}"
                "        IgnoreMigration(),\n",
            ),
            (
                "            field=models.CharField(max_length=280),\n        ),\n",
                "            field=models.CharField(max_length=280),\n        ),\n"
                "        # Reversed in reverse order: the check runs before the column narrows.\n"
                "        migrations.RunPython(migrations.RunPython.noop, refuse_posts_over_140),\n",
            ),
        ],
        live=D_DJANGO_LIVE,
    ),
    flask=Side(
        models=[(FLASK_BODY, FLASK_BODY.replace("140", "280"))],
        review=[
            ("def upgrade():\n", "def upgrade():\n" + WIDENING_REVIEWED.replace("#", "    #")),
            (
                "def downgrade():\n",
                "def downgrade():\n"
                "    # Narrowing fails on a longer post (PostgreSQL, MariaDB) or keeps it as it is\n"
                "    # (SQLite): stop before, naming them, and let a person choose what to cut.\n"
                "    post = sa.table('post', sa.column('id'), sa.column('body'))\n"
                "    too_long = sa.func.char_length(post.c.body) > 140\n"
                "    connection = op.get_bind()\n"
                "    count = connection.scalar(sa.select(sa.func.count()).where(too_long))\n"
                "    if count:\n"
                "        ids = connection.scalars(\n"
                "            sa.select(post.c.id).where(too_long).order_by(post.c.id).limit(10)).all()\n"
                "        raise RuntimeError(\n"
                f"            f'{TOO_LONG} '\n"
                "            'save their text, shorten or delete them, then downgrade again')\n"
                "\n",
            ),
        ],
        live=D_FLASK_LIVE,
    ),
    check_upgraded=_widened,
    check_downgraded=_narrowed,
    after_upgrade=_write_long_post,
    before_retry=_shorten_long_posts,
    under_load=True,
)


def _emails(connection: sa.Connection) -> list[str]:
    return list(connection.execute(sa.select(user.c.email).order_by(user.c.id)).scalars())


def _emails_lowercased(connection: sa.Connection) -> Facts:
    emails = _emails(connection)
    return Facts(emails == [str(u["email"]).lower() for u in USERS], f"emails: {emails}")


def _emails_as_before(connection: sa.Connection) -> Facts:
    emails = _emails(connection)
    return Facts(emails == [u["email"] for u in USERS], f"emails: {emails}")


DATA_MIGRATION = Scenario(
    key="e",
    title="a data migration and its reverse: lower-case every email",
    name="lowercase_emails",
    message="lowercase emails",
    django=Side(
        models=[],
        empty=True,
        review=[
            (
                "from django.db import migrations\n",
                "from django.db import migrations\n"
                "from django.db.models.functions import Lower\n"
                "\n"
                "\n"
                "def lowercase_emails(apps, schema_editor):\n"
                '    User = apps.get_model("blog", "User")\n'
                '    User.objects.update(email=Lower("email"))\n',
            ),
            (
                "    operations = [\n    ]\n",
                "    operations = [\n"
                "        # The old case is gone: going back leaves the emails as they are.\n"
                "        migrations.RunPython(lowercase_emails, migrations.RunPython.noop),\n"
                "    ]\n",
            ),
        ],
    ),
    flask=Side(
        models=[],
        empty=True,
        review=[
            (
                "def upgrade():\n    pass\n",
                "def upgrade():\n"
                "    user = sa.table('user', sa.column('email'))\n"
                "    op.execute(user.update().values(email=sa.func.lower(user.c.email)))\n",
            ),
            (
                "def downgrade():\n    pass\n",
                "def downgrade():\n"
                "    # The old case is gone: going back leaves the emails as they are.\n"
                "    pass\n",
            ),
        ],
    ),
    check_upgraded=_emails_lowercased,
    check_downgraded=_emails_as_before,
)


def _followers_table(connection: sa.Connection) -> Facts:
    count = connection.execute(sa.select(sa.func.count()).select_from(user)).scalar_one()
    found = "followers" in tables(connection)
    return Facts(found and count == len(USERS), f"{count}/{len(USERS)} users, followers: {found}")


def _no_followers_table(connection: sa.Connection) -> Facts:
    count = connection.execute(sa.select(sa.func.count()).select_from(user)).scalar_one()
    gone = "followers" not in tables(connection)
    return Facts(
        gone and count == len(USERS), f"{count}/{len(USERS)} users, followers gone: {gone}"
    )


ADD_TABLE = Scenario(
    key="a",
    title="add a table: the tutorial's followers",
    name="followers",
    message="followers",
    django=Side(
        models=[
            (
                "    password_hash = models.CharField(max_length=256, null=True)\n",
                "    password_hash = models.CharField(max_length=256, null=True)\n"
                "    following = models.ManyToManyField(\n"
                '        "self", symmetrical=False, related_name="followers", db_table="followers"\n'
                "    )\n",
            )
        ]
    ),
    flask=Side(
        models=[
            (
                "class User(db.Model):\n",
                "followers = sa.Table(\n"
                '    "followers",\n'
                "    db.metadata,\n"
                '    sa.Column("follower_id", sa.Integer, sa.ForeignKey("user.id"), primary_key=True),\n'
                '    sa.Column("followed_id", sa.Integer, sa.ForeignKey("user.id"), primary_key=True),\n'
                ")\n"
                "\n"
                "\n"
                "class User(db.Model):\n",
            )
        ]
    ),
    check_upgraded=_followers_table,
    check_downgraded=_no_followers_table,
)

DJANGO_PASSWORD = "    password_hash = models.CharField(max_length=256, null=True)\n"
FLASK_PASSWORD = "    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(256))\n"


def _both_branches(connection: sa.Connection) -> Facts:
    count = connection.execute(sa.select(sa.func.count()).select_from(user)).scalar_one()
    added = {"about_me", "last_seen"} <= columns(connection, "user")
    return Facts(
        added and count == len(USERS), f"{count}/{len(USERS)} users, both columns: {added}"
    )


PARALLEL_BRANCHES = Scenario(
    key="h",
    title="two branches of migrations made in parallel, then merged",
    name="merge",
    message="merge",
    django=Side(models=[]),
    flask=Side(models=[]),
    branches=[
        Branch(
            "about_me",
            "about me",
            django=[
                (
                    DJANGO_PASSWORD,
                    DJANGO_PASSWORD
                    + "    about_me = models.CharField(max_length=140, null=True)\n",
                )
            ],
            flask=[
                (
                    FLASK_PASSWORD,
                    FLASK_PASSWORD
                    + "    about_me: so.Mapped[str | None] = so.mapped_column(sa.String(140))\n",
                )
            ],
        ),
        Branch(
            "last_seen",
            "last seen",
            django=[
                (
                    DJANGO_PASSWORD,
                    DJANGO_PASSWORD + "    last_seen = models.DateTimeField(null=True)\n",
                )
            ],
            flask=[
                (FLASK_PASSWORD, FLASK_PASSWORD + "    last_seen: so.Mapped[datetime | None]\n")
            ],
        ),
    ],
    check_upgraded=_both_branches,
    check_downgraded=_users_without_added_columns,
)

INDEX_NAME = "post_user_timestamp_idx"


def _indexed(connection: sa.Connection) -> Facts:
    found = INDEX_NAME in {index["name"] for index in sa.inspect(connection).get_indexes("post")}
    kept = bodies(connection)
    return Facts(found and kept.kept, f"{kept.detail}, index: {found}")


def _not_indexed(connection: sa.Connection) -> Facts:
    gone = INDEX_NAME not in {index["name"] for index in sa.inspect(connection).get_indexes("post")}
    kept = bodies(connection)
    return Facts(gone and kept.kept, f"{kept.detail}, index gone: {gone}")


INDEX_UNDER_LOAD = Scenario(
    key="f",
    title="add an index to a big posts table while a writer keeps writing",
    name="post_user_timestamp_index",
    message="post user timestamp index",
    django=Side(
        models=[
            (
                '        db_table = "post"\n',
                '        db_table = "post"\n'
                "        indexes = [\n"
                f'            models.Index(fields=["author", "timestamp"], name="{INDEX_NAME}"),\n'
                "        ]\n",
            )
        ],
        review=[
            (
                "from django.db import migrations, models\n",
                "from django.contrib.postgres.operations import AddIndexConcurrently\n"
                "from django.db import migrations, models\n",
            ),
            (
                "class Migration(migrations.Migration):\n",
                "class Migration(migrations.Migration):\n"
                "    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.\n"
                "    atomic = False\n",
            ),
            ("migrations.AddIndex(", "AddIndexConcurrently("),
        ],
        review_on="postgresql",
    ),
    flask=Side(
        models=[
            (
                "class Post(db.Model):\n",
                "class Post(db.Model):\n"
                f'    __table_args__ = (sa.Index("{INDEX_NAME}", "user_id", "timestamp"),)\n\n',
            )
        ],
        review=[
            (
                re.compile(
                    r"    with op\.batch_alter_table\('post', schema=None\) as batch_op:\n"
                    r"        batch_op\.create_index\((.*?), unique=False\)\n"
                ),
                "    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.\n"
                "    with op.get_context().autocommit_block():\n"
                f"        op.create_index('{INDEX_NAME}', 'post', ['user_id', 'timestamp'], unique=False,\n"
                "                        postgresql_concurrently=True)\n",
            )
        ],
        review_on="postgresql",
    ),
    check_upgraded=_indexed,
    check_downgraded=_not_indexed,
    under_load=True,
)

# Scenario i: the lock queue. The review is how migrations run, the same for every migration:
# each waits at most a moment for a table's lock, then gives up and tries again.
DJANGO_PATIENT_MIGRATE = """\
\"\"\"`migrate`, waiting at most a moment for each table's lock and trying again later: the writes
that queue behind a migration waiting for a lock wait no longer than that moment.\"\"\"

import time

from django.core.management.commands import migrate
from django.db import OperationalError, connection

# The longest a migration waits for a lock, so the longest a write queued behind it waits.
# MariaDB counts whole seconds.
LOCK_TIMEOUT = {
    "postgresql": "SET lock_timeout = '500ms'",
    "mysql": "SET SESSION lock_wait_timeout = 1",
}
# What PostgreSQL and MariaDB say when the wait is over.
LOCK_TIMED_OUT = ("canceling statement due to lock timeout", "Lock wait timeout exceeded")
ATTEMPTS = 60
PAUSE = 1.0  # seconds between attempts, for the writes that queued meanwhile to go through


class Command(migrate.Command):
    def handle(self, *args, **options):
        for attempt in range(1, ATTEMPTS + 1):
            if connection.vendor in LOCK_TIMEOUT:
                with connection.cursor() as cursor:
                    cursor.execute(LOCK_TIMEOUT[connection.vendor])
            try:
                return super().handle(*args, **options)
            except OperationalError as error:
                # The migration did nothing: try it again.
                if not any(words in str(error) for words in LOCK_TIMED_OUT) or attempt == ATTEMPTS:
                    raise
                self.stderr.write(f"Waited too long for a lock ({attempt} of {ATTEMPTS}); again in {PAUSE} s")
                time.sleep(PAUSE)
"""

FLASK_ENV_CONNECT = """\
    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        with context.begin_transaction():
            context.run_migrations()
"""
FLASK_PATIENT_CONNECT = """\
    connectable = get_engine()

    # Wait at most a moment for each table's lock and try again later: the writes that queue
    # behind a migration waiting for a lock wait no longer than that moment.
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            with connectable.connect() as connection:
                if connection.dialect.name in LOCK_TIMEOUT:
                    connection.exec_driver_sql(LOCK_TIMEOUT[connection.dialect.name])
                    connection.commit()  # a session setting: it outlives this transaction
                context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

                with context.begin_transaction():
                    context.run_migrations()
            return
        except sa.exc.OperationalError as error:
            # The migration did nothing: try it again.
            if not any(words in str(error) for words in LOCK_TIMED_OUT) or attempt == LOCK_ATTEMPTS:
                raise
            logger.warning(f"Waited too long for a lock ({attempt} of {LOCK_ATTEMPTS}); again in {LOCK_PAUSE} s")
            time.sleep(LOCK_PAUSE)
"""


def _language_added(connection: sa.Connection) -> Facts:
    kept = bodies(connection)
    added = "language" in columns(connection, "post")
    return Facts(kept.kept and added, f"{kept.detail}, language column: {added}")


def _language_gone(connection: sa.Connection) -> Facts:
    kept = bodies(connection)
    gone = "language" not in columns(connection, "post")
    return Facts(kept.kept and gone, f"{kept.detail}, language column gone: {gone}")


BEHIND_A_REPORT = Scenario(
    key="i",
    title="add a column to posts while a long report reads them",
    name="post_language",
    message="post language",
    django=Side(
        models=[
            (
                DJANGO_BODY,
                DJANGO_BODY + "    language = models.CharField(max_length=5, null=True)\n",
            )
        ],
        review_elsewhere={
            "blog/management/__init__.py": [("", "")],
            "blog/management/commands/__init__.py": [("", "")],
            "blog/management/commands/migrate.py": [("", DJANGO_PATIENT_MIGRATE)],
        },
    ),
    flask=Side(
        models=[
            (
                FLASK_BODY,
                FLASK_BODY
                + "    language: so.Mapped[str | None] = so.mapped_column(sa.String(5))\n",
            )
        ],
        review_elsewhere={
            "contrast/flask_app_2024/migrations/env.py": [
                (
                    "import logging\n",
                    "import logging\nimport time\n",
                ),
                (
                    "from flask import current_app\n",
                    "import sqlalchemy as sa\nfrom flask import current_app\n",
                ),
                (
                    'logger = logging.getLogger("alembic.env")\n',
                    'logger = logging.getLogger("alembic.env")\n'
                    "\n"
                    "# The longest a migration waits for a lock, so the longest a write queued behind it\n"
                    "# waits. MariaDB counts whole seconds.\n"
                    "LOCK_TIMEOUT = {\n"
                    '    "postgresql": "SET lock_timeout = \'500ms\'",\n'
                    '    "mysql": "SET SESSION lock_wait_timeout = 1",\n'
                    "}\n"
                    "# What PostgreSQL and MariaDB say when the wait is over.\n"
                    'LOCK_TIMED_OUT = ("canceling statement due to lock timeout", "Lock wait timeout exceeded")\n'
                    "LOCK_ATTEMPTS = 60\n"
                    "LOCK_PAUSE = 1.0  # seconds between attempts, for the writes that queued to go through\n",
                ),
                (FLASK_ENV_CONNECT, FLASK_PATIENT_CONNECT),
            ]
        },
    ),
    check_upgraded=_language_added,
    check_downgraded=_language_gone,
    under_load=True,
    behind_a_report=True,
)

# In the order of the guide: the changes that lose data or fail on rows first.
SCENARIOS = [
    RENAME_IN_CODE_ONLY,
    RENAME_COLUMN,
    RENAME_IN_TWO_RELEASES,
    RENAME_TABLE,
    ADD_NOT_NULL_COLUMNS,
    DROP_COLUMN,
    WIDEN_COLUMN,
    DATA_MIGRATION,
    ADD_TABLE,
    PARALLEL_BRANCHES,
    INDEX_UNDER_LOAD,
    BEHIND_A_REPORT,
]
