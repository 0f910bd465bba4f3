"""Throwaway copies of the chapter's app, one per tool, where a scenario may change anything.

DjangoCopy is a one-app Django project holding the chapter's two models (the tables `user` and
`post`, as the Flask twin names them); FlaskCopy is contrast/flask_app_2024/ copied with its two
migrations. Each command runs in a child process, as a developer runs it from a shell.
"""

import os
import re
import shutil
import subprocess
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

CONTRAST = Path(__file__).resolve().parent.parent

# The chapter's models (the 2024 edition's, contrast/flask_app_2024/models.py) in Django, with
# the Flask twin's table and column names so that one data check reads both databases.
DJANGO_MODELS = """\
from django.db import models
from django.utils import timezone


class User(models.Model):
    username = models.CharField(max_length=64, unique=True)
    email = models.CharField(max_length=120, unique=True)
    password_hash = models.CharField(max_length=256, null=True)

    class Meta:
        db_table = "user"


class Post(models.Model):
    body = models.CharField(max_length=140)
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    author = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="posts", db_column="user_id"
    )

    class Meta:
        db_table = "post"
"""

DJANGO_SETTINGS = """\
import os

import dj_database_url

SECRET_KEY = "throwaway"
# The migration linter's app gives `manage.py lintmigrations` (linters.py).
INSTALLED_APPS = ["blog", "django_migration_linter"]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # As this project's own settings (microblog/database.py): a migration that reads before it
    # writes, while another process writes, waits for the lock instead of failing at once with
    # "database is locked" (Django's default, a deferred transaction, cannot wait there).
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 60}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = False  # naive UTC datetimes, as the Flask twin stores them
TIME_ZONE = "UTC"
"""

DJANGO_MANAGE = """\
import os
import sys

from django.core.management import execute_from_command_line

os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
execute_from_command_line(sys.argv)
"""

# One edit to a file: (old, new), `old` a string or a pattern.
Edit = tuple[str | re.Pattern[str], str]

# The line of a traceback that names the exception, e.g. "sqlalchemy.exc.IntegrityError: ...".
EXCEPTION_LINE = re.compile(r"^[\w.]*(Error|Exception)\b.*:")

# The twin's last migration, "posts table": where every scenario starts.
CHAPTER_REVISION = "66c2c8df236d"

# The variables that would point a child process at the project instead of the copy.
PROJECT_VARIABLES = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH", "FLASK_APP"}


@dataclass
class Outcome:
    """What a command printed, and whether it succeeded."""

    ok: bool
    stdout: str
    stderr: str

    @property
    def error(self) -> str:
        """The last line of the error: the exception a developer sees at the bottom."""
        lines = [line.strip() for line in (self.stderr or self.stdout).splitlines()]
        exceptions = [line for line in lines if EXCEPTION_LINE.match(line)]
        return (exceptions or [line for line in lines if line] or [""])[-1]


class Copy(ABC):
    """A throwaway copy in `folder`, migrated against `database_url`; each tool's subclass says
    how it runs the chapter's workflow commands."""

    tool: str
    chapter: str  # the revision holding the chapter's schema, where each scenario starts
    models: Path
    migrations: Path

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.database_url = database_url

    def run(self, *args: str, answers: str | None = None, url: str | None = None) -> Outcome:
        env = {k: v for k, v in os.environ.items() if k not in PROJECT_VARIABLES}
        env |= {"DATABASE_URL": url or self.database_url, "PYTHONPATH": str(self.folder)}
        result = subprocess.run(
            [sys.executable, *args],
            cwd=self.folder,
            env=env,
            input=answers,
            stdin=None if answers is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return Outcome(result.returncode == 0, result.stdout, result.stderr)

    @abstractmethod
    def make_migration(
        self, name: str, message: str, *, empty: bool = False, answers: str | None = None
    ) -> tuple[str, Outcome]:
        """Generate the scenario's migration; returns the command as typed, and what it did."""

    @abstractmethod
    def merge_heads(self, name: str, message: str) -> tuple[str, Outcome]:
        """Write the migration that joins two branches; returns the command and what it did."""

    @abstractmethod
    def revision_of(self, path: Path) -> str:
        """The name the tool's commands take for the migration in `path`."""

    @abstractmethod
    def sql(self, revision: str, since: str | None = None) -> Outcome:
        """The SQL the migration runs (`sqlmigrate`, `flask db upgrade --sql` from the revision
        `since`, the chapter's when not given)."""

    @abstractmethod
    def upgrade(self, target: str = "") -> Outcome:
        """Apply migrations up to `target` (every one, when empty or not given)."""

    @abstractmethod
    def downgrade(self, target: str) -> Outcome:
        """Roll migrations back to `target`."""

    def change_models(self, edits: list[Edit]) -> None:
        self.models.write_text(replace_each(self.models.read_text(), edits))

    def migration_files(self) -> set[Path]:
        return {path for path in self.migrations.glob("*.py") if path.name != "__init__.py"}


class DjangoCopy(Copy):
    tool = "django"
    chapter = "0001_chapter"

    def __init__(self, folder: Path, database_url: str) -> None:
        super().__init__(folder, database_url)
        self.models = folder / "blog" / "models.py"
        self.migrations = folder / "blog" / "migrations"

    @classmethod
    def template(cls, folder: Path) -> "DjangoCopy":
        """The project, with the chapter's migration made by `makemigrations` as a reader would."""
        (folder / "blog" / "migrations").mkdir(parents=True)
        (folder / "manage.py").write_text(DJANGO_MANAGE)
        (folder / "settings.py").write_text(DJANGO_SETTINGS)
        (folder / "blog" / "__init__.py").write_text("")
        (folder / "blog" / "migrations" / "__init__.py").write_text("")
        (folder / "blog" / "models.py").write_text(DJANGO_MODELS)
        copy = cls(folder, f"sqlite:///{folder / 'template.db'}")
        made = copy.manage("makemigrations", "blog", "-n", "chapter")
        assert made.ok, made.stderr
        return copy

    def manage(self, *args: str, answers: str | None = None) -> Outcome:
        return self.run("manage.py", *args, answers=answers)

    def make_migration(
        self, name: str, message: str, *, empty: bool = False, answers: str | None = None
    ) -> tuple[str, Outcome]:
        """`makemigrations`, answering its questions with `answers` (one per line)."""
        args = ["makemigrations", "blog", "-n", name, *(["--empty"] if empty else [])]
        return "python manage.py " + " ".join(args), self.manage(*args, answers=answers)

    def merge_heads(self, name: str, message: str) -> tuple[str, Outcome]:
        """`makemigrations --merge`, as CI would run it (`--noinput`: merge without asking)."""
        args = ["makemigrations", "blog", "--merge", "--noinput", "-n", name]
        return "python manage.py " + " ".join(args), self.manage(*args)

    def make_migration_noinput(self, name: str) -> tuple[str, Outcome]:
        """The same, as CI runs it: no questions, so no answers (`--dry-run`: nothing written)."""
        args = ["makemigrations", "blog", "-n", name, "--noinput", "--dry-run"]
        return "python manage.py " + " ".join(args), self.manage(*args)

    def revision_of(self, path: Path) -> str:
        return path.stem

    def sql(self, revision: str, since: str | None = None) -> Outcome:
        return self.manage("sqlmigrate", "blog", revision)

    def lint(self, revision: str) -> Outcome:
        """django-migration-linter's verdict on one migration, on the copy's database."""
        return self.manage("lintmigrations", "blog", revision, "--no-cache")

    def upgrade(self, target: str = "") -> Outcome:
        return self.manage("migrate", "blog", *([target] if target else []))

    def downgrade(self, target: str) -> Outcome:
        return self.manage("migrate", "blog", target)


class FlaskCopy(Copy):
    tool = "flask"
    twin = "flask_app_2024"
    chapter = CHAPTER_REVISION

    def __init__(self, folder: Path, database_url: str) -> None:
        super().__init__(folder, database_url)
        self.models = folder / "contrast" / self.twin / "models.py"
        self.migrations = folder / "contrast" / self.twin / "migrations" / "versions"

    @classmethod
    def template(cls, folder: Path) -> "FlaskCopy":
        """contrast/flask_app_2024/ as it is in the project, inside a `contrast` package of its own
        (the copy's PYTHONPATH holds only the copy, so the project's twin stays untouched)."""
        (folder / "contrast").mkdir(parents=True)
        (folder / "contrast" / "__init__.py").write_text("")
        shutil.copytree(
            CONTRAST / cls.twin,
            folder / "contrast" / cls.twin,
            ignore=shutil.ignore_patterns("__pycache__", "*.db"),
        )
        return cls(folder, "")

    def flask(self, *args: str) -> Outcome:
        return self.run("-m", "flask", "--app", f"contrast.{self.twin}", *args)

    def make_migration(
        self, name: str, message: str, *, empty: bool = False, answers: str | None = None
    ) -> tuple[str, Outcome]:
        """`flask db migrate` (autogenerate), or `flask db revision` for an empty script. The
        revision id is the scenario's name (`--rev-id`) so that each run writes the same file."""
        command = "revision" if empty else "migrate"
        args = ["db", command, "-m", message, "--rev-id", name.replace("_", "")]
        return f'flask db {command} -m "{message}"', self.flask(*args)

    def merge_heads(self, name: str, message: str) -> tuple[str, Outcome]:
        """`flask db merge heads`: one revision whose parents are both branches' heads."""
        args = ["db", "merge", "heads", "-m", message, "--rev-id", name.replace("_", "")]
        return f'flask db merge heads -m "{message}"', self.flask(*args)

    def revision_of(self, path: Path) -> str:
        return path.stem.split("_")[0]

    def sql(self, revision: str, since: str | None = None) -> Outcome:
        """The SQL from `since` (the chapter's last revision) to this one (`flask db upgrade
        --sql`)."""
        return self.offline_sql(revision, self.database_url, since)

    def offline_sql(self, revision: str, database_url: str, since: str | None = None) -> Outcome:
        """The same for the database `database_url` names, which offline mode never connects to."""
        args = ["db", "upgrade", f"{since or CHAPTER_REVISION}:{revision}", "--sql"]
        return self.run("-m", "flask", "--app", f"contrast.{self.twin}", *args, url=database_url)

    def upgrade(self, target: str = "head") -> Outcome:
        return self.flask("db", "upgrade", target)

    def downgrade(self, target: str) -> Outcome:
        return self.flask("db", "downgrade", target)


def replace_each(text: str, edits: list[Edit]) -> str:
    """`text` with each (old, new) applied once, `old` a string or a pattern (for the lines
    Alembic writes from what it reflects, which differ by backend). An `old` that does not match
    exactly once is an error: a tool whose output changed fails loudly instead of leaving a
    scenario half edited."""
    for old, new in edits:
        pattern = old if isinstance(old, re.Pattern) else re.compile(re.escape(old))
        matches = len(pattern.findall(text))
        if matches != 1:
            raise ValueError(f"expected {pattern.pattern!r} once, found {matches} in:\n{text}")
        match = pattern.search(text)
        assert match is not None  # found exactly once, above
        text = text[: match.start()] + new + text[match.end() :]
    return text
