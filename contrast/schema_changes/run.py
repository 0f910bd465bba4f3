"""Run a scenario with both tools: generate, apply, check, downgrade, check; as generated and as
reviewed."""

import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from contrast.schema_changes.copies import Copy, DjangoCopy, FlaskCopy, Outcome, replace_each
from contrast.schema_changes.data import Facts, seed, seed_posts, texts_as_written
from contrast.schema_changes.databases import Backend, connected
from contrast.schema_changes.linters import lintmigrations_findings, squawk
from contrast.schema_changes.scenarios import Scenario, Side
from contrast.schema_changes.writer import Report, Writer, WriterReport, stop_together

TOOLS = ("django", "flask")

# Nothing listens there: offline mode only needs the dialect.
OFFLINE_POSTGRESQL = "postgresql+psycopg://nobody@127.0.0.1:9/offline"


@dataclass
class Applied:
    """One migration file applied to the chapter's data, then rolled back."""

    file: str
    sql: str
    upgrade: Outcome
    # Flask on SQLite, where batch mode refuses --sql (it must read the table from a live
    # database): `flask db upgrade --sql` for PostgreSQL instead, which needs no server.
    postgresql_sql: str | None = None
    after_upgrade: Facts | None = None
    upgrade_seconds: float = 0.0
    writer: WriterReport | None = None  # scenarios under load: the writer during the upgrade
    downgrade: Outcome | None = None
    downgrade_seconds: float = 0.0
    downgrade_writer: WriterReport | None = None
    # A reviewed downgrade that refused, run again after the step its message asks for.
    retry: Outcome | None = None
    retry_seconds: float = 0.0
    retry_writer: WriterReport | None = None
    after_downgrade: Facts | None = None
    # On PostgreSQL, before the upgrade: what the linters found in the file (linters.py); [] when
    # they pass it. django-migration-linter reads Django's files only.
    lintmigrations: list[str] | None = None
    squawk: list[str] | None = None


@dataclass
class ToolRun:
    """What one tool did with one scenario."""

    tool: str
    command: str
    generate: Outcome
    noinput: Outcome | None
    # None: nothing to migrate (c0 on Alembic), or files written by hand from the start (c3)
    generated: Applied | None
    reviewed: Applied | None = None
    live: Applied | None = None  # reviewed to keep the old code working (Side.live)
    # Side.review_elsewhere as applied: each file's text before and after the review.
    elsewhere: dict[str, tuple[str, str]] = field(default_factory=dict)
    conflict: Outcome | None = None  # parallel branches: the upgrade before the merge
    # A change in two releases (scenario c3): each release's file, by name.
    releases: dict[str, Applied] = field(default_factory=dict)


@dataclass
class ScenarioRun:
    scenario: Scenario
    backend: str
    tools: dict[str, ToolRun]


class Workshop:
    """The two template copies, made once, and the backend the scenarios run on."""

    def __init__(
        self,
        database_url: str = "",
        posts: int = 2_000,
        keep_databases: bool = False,
        report_seconds: float = 8.0,
    ) -> None:
        self.backend = Backend(database_url, keep=keep_databases)
        self.posts = posts  # the posts table's size for scenarios under load
        # How long scenario i's report goes on holding the posts table once a migration waits.
        self.report_seconds = report_seconds
        self._folder = tempfile.TemporaryDirectory(prefix="schema-changes-copies-")
        root = Path(self._folder.name)
        self.templates: dict[str, Copy] = {
            "django": DjangoCopy.template(root / "templates" / "django"),
            "flask": FlaskCopy.template(root / "templates" / "flask"),
        }

    def close(self) -> None:
        self._folder.cleanup()
        self.backend.cleanup()

    def run(self, scenario: Scenario) -> ScenarioRun:
        """Both tools at once: each has its own copy and database, and each mostly waits for
        its child processes."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            django, flask = pool.map(lambda tool: self._run_tool(scenario, tool), TOOLS)
        return ScenarioRun(scenario, self.backend.vendor, {"django": django, "flask": flask})

    def _fresh_copy(self, scenario: Scenario, tool: str) -> Copy:
        template = self.templates[tool]
        folder = Path(self._folder.name) / scenario.key / tool
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(template.folder, folder, ignore=shutil.ignore_patterns("*.db"))
        copy = type(template)(folder, "")
        copy.database_url = self._url(tool, django_form=tool == "django")
        return copy

    def _url(self, tool: str, django_form: bool) -> str:
        # One scratch database per tool, emptied for each scenario: they run one at a time.
        suffix = tool
        return (
            self.backend.django_url(suffix) if django_form else self.backend.sqlalchemy_url(suffix)
        )

    def _chapter_database(self, copy: Copy, scenario: Scenario) -> None:
        """A new database at the chapter's schema, holding its users and posts (and for a
        scenario under load, `posts` more). On SQLite the chapter's is kept and copied for the
        next scenarios: the same file, made once."""
        self._chapter_only(copy)
        if scenario.under_load:
            with connected(self._url(copy.tool, django_form=False)) as connection:
                seed_posts(connection, self.posts)

    def _chapter_only(self, copy: Copy) -> None:
        snapshot = Path(self._folder.name) / f"chapter-{copy.tool}.db"
        database = Path(self._url(copy.tool, django_form=True).removeprefix("sqlite:///"))
        if self.backend.vendor == "sqlite" and snapshot.exists():
            shutil.copyfile(snapshot, database)
            return
        self.backend.create(copy.tool)
        upgraded = copy.upgrade(copy.chapter)
        assert upgraded.ok, upgraded.stderr
        with connected(self._url(copy.tool, django_form=False)) as connection:
            seed(connection)
        if self.backend.vendor == "sqlite":
            shutil.copyfile(database, snapshot)

    def _run_tool(self, scenario: Scenario, tool: str) -> ToolRun:
        copy = self._fresh_copy(scenario, tool)
        side: Side = getattr(scenario, tool)
        self._chapter_database(copy, scenario)
        if side.contract:
            return self._two_releases(scenario, copy, side)
        conflict = self._branches(scenario, copy) if scenario.branches else None
        copy.change_models(side.models)
        noinput = None
        if isinstance(copy, DjangoCopy) and side.answers is not None:
            noinput = copy.make_migration_noinput(scenario.name)[1]
        before = copy.migration_files()
        if scenario.branches:
            command, generate = copy.merge_heads(scenario.name, scenario.message)
        else:
            command, generate = copy.make_migration(
                scenario.name, scenario.message, empty=side.empty, answers=side.answers
            )
        assert generate.ok, generate.stderr or generate.stdout
        made = copy.migration_files() - before
        if not made:
            # Nothing in the database to change (scenario c0 on Alembic): no file to apply.
            return ToolRun(tool, command, generate, noinput, None)
        (path,) = made
        run = ToolRun(tool, command, generate, noinput, self._apply(scenario, copy, path))
        run.conflict = conflict
        if side.review_elsewhere:
            for name, edits in side.review_elsewhere.items():
                other = copy.folder / name
                original = other.read_text() if other.exists() else ""
                other.parent.mkdir(parents=True, exist_ok=True)
                other.write_text(replace_each(original, edits))
                run.elsewhere[name] = (original, other.read_text())
            self._chapter_database(copy, scenario)
            run.reviewed = self._apply(scenario, copy, path, reviewed=True)
        if side.review and side.review_on in (None, self.backend.vendor):
            self._chapter_database(copy, scenario)
            path.write_text(replace_each(path.read_text(), side.review))
            run.reviewed = self._apply(scenario, copy, path, reviewed=True)
        if side.live and self.backend.vendor in side.live_on:
            self._chapter_database(copy, scenario)
            path.write_text(replace_each(path.read_text(), side.live))
            run.live = self._apply(scenario, copy, path, reviewed=True)
        return run

    def _two_releases(self, scenario: Scenario, copy: Copy, side: Side) -> ToolRun:
        """Release N's migration and release N+1's, each written on an empty one, run one after the
        other while the code of each release writes: the old code (into body) through release N's
        upgrade, the new code (into text) from its end, alone through release N+1's; then back
        down the same way. After each step, every post holds what its writer wrote."""
        copy.change_models(side.models)
        paths, command, generate = [], "", None
        for name, message, edits in (
            (scenario.name, scenario.message, side.review),
            (scenario.contract_name, scenario.contract_message, side.contract),
        ):
            before = copy.migration_files()
            command, generate = copy.make_migration(name, message, empty=True)
            assert generate.ok, generate.stderr or generate.stdout
            (path,) = copy.migration_files() - before
            path.write_text(replace_each(path.read_text(), edits))
            paths.append(path)
        assert generate is not None
        expand, contract = paths
        release_n = copy.revision_of(expand)
        url = self._url(copy.tool, django_form=False)
        old, new = ("body", "old code"), ("text", "new code")
        written: list[str] = []

        def step(
            command: Callable[[], Outcome], during: tuple[str, str], after: tuple[str, str] | None
        ) -> tuple[Outcome, float, WriterReport, Facts | None]:
            outcome, seconds, writer = self._with_writers(url, command, during, after)
            written.extend(writer.written)
            if not outcome.ok:
                return outcome, seconds, writer, None
            with connected(url) as connection:
                return outcome, seconds, writer, texts_as_written(connection, written)

        applied = {}
        for path, since in ((expand, None), (contract, release_n)):
            not_run = Outcome(False, "", "not run: release N's upgrade failed")
            applied[path] = Applied(path.read_text(), "", not_run)
            if self.backend.vendor == "postgresql":
                # Its SQL for the linters (the guide shows the files, not their SQL).
                sql = copy.sql(copy.revision_of(path), since)
                applied[path].sql = sql.stdout if sql.ok else sql.error
                found = self._lint(copy, path, sql.stdout)
                applied[path].lintmigrations, applied[path].squawk = found
        n, n1 = applied[expand], applied[contract]
        # Release N while the old code writes; its code deployed at the end.
        n.upgrade, n.upgrade_seconds, n.writer, n.after_upgrade = step(
            lambda: copy.upgrade(release_n), old, new
        )
        if n.upgrade.ok:
            # Release N+1 once no old code runs, then back to N (the old code may return).
            n1.upgrade, n1.upgrade_seconds, n1.writer, n1.after_upgrade = step(
                copy.upgrade, new, None
            )
            if n1.upgrade.ok:
                n1.downgrade, n1.downgrade_seconds, n1.downgrade_writer, n1.after_downgrade = step(
                    lambda: copy.downgrade(release_n), new, old
                )
            # Back to the chapter once only the old code runs.
            n.downgrade, n.downgrade_seconds, n.downgrade_writer, n.after_downgrade = step(
                lambda: copy.downgrade(copy.chapter), old, None
            )
        run = ToolRun(copy.tool, command, generate, None, None)
        run.releases = {"release N": n, "release N+1": n1}
        return run

    @staticmethod
    def _with_writers(
        url: str,
        command: Callable[[], Outcome],
        during: tuple[str, str],
        after: tuple[str, str] | None,
    ) -> tuple[Outcome, float, WriterReport]:
        """Run `command` while a writer (column, label) inserts, and a second one from its end
        (the code deployed then) for the moment the first goes on; what both went through."""
        first = Writer(url, *during)
        first.start()
        started = time.monotonic()
        outcome = command()
        seconds = time.monotonic() - started
        writers = [first]
        if after:
            writers.append(Writer(url, *after))
            writers[-1].start()
        return outcome, seconds, stop_together(writers)

    def _branches(self, scenario: Scenario, copy: Copy) -> Outcome:
        """Two developers' migrations, each made from the chapter's models alone (the first is
        set aside while the second is generated, as if on another machine), then both in the
        tree and both model changes in models.py: what a merge of two branches leaves. Returns
        the upgrade that refuses to run them."""
        chapter_models = copy.models.read_text()
        aside = copy.folder / "other-branch"
        aside.mkdir()
        for branch in scenario.branches:
            copy.models.write_text(chapter_models)
            copy.change_models(getattr(branch, copy.tool))
            before = copy.migration_files()
            made = copy.make_migration(branch.name, branch.message)[1]
            assert made.ok, made.stderr or made.stdout
            for path in copy.migration_files() - before:
                path.rename(aside / path.name)
        for path in aside.iterdir():
            path.rename(copy.migrations / path.name)
        copy.models.write_text(chapter_models)
        for branch in scenario.branches:
            copy.change_models(getattr(branch, copy.tool))
        return copy.upgrade()

    def _apply(self, scenario: Scenario, copy: Copy, path: Path, reviewed: bool = False) -> Applied:
        sql = copy.sql(copy.revision_of(path))
        found = self._lint(copy, path, sql.stdout)
        url = self._url(copy.tool, django_form=False)
        upgrade, seconds, writer = self._timed(scenario, url, copy.upgrade, self._report(scenario))
        applied = Applied(path.read_text(), sql.stdout if sql.ok else sql.error, upgrade)
        applied.lintmigrations, applied.squawk = found
        applied.upgrade_seconds, applied.writer = seconds, writer
        if isinstance(copy, FlaskCopy) and self.backend.vendor == "sqlite":
            offline = copy.offline_sql(copy.revision_of(path), OFFLINE_POSTGRESQL)
            applied.postgresql_sql = offline.stdout if offline.ok else offline.error
        if not applied.upgrade.ok:
            return applied
        with connected(url) as connection:
            if scenario.after_upgrade:
                scenario.after_upgrade(connection)
            applied.after_upgrade = scenario.check_upgraded(connection)

        def downgrade() -> Outcome:
            return copy.downgrade(copy.chapter)

        applied.downgrade, applied.downgrade_seconds, applied.downgrade_writer = self._timed(
            scenario, url, downgrade
        )
        if not applied.downgrade.ok and reviewed and scenario.before_retry:
            with connected(url) as connection:
                scenario.before_retry(connection)
            applied.retry, applied.retry_seconds, applied.retry_writer = self._timed(
                scenario, url, downgrade
            )
        if (applied.retry or applied.downgrade).ok:
            with connected(url) as connection:
                applied.after_downgrade = scenario.check_downgraded(connection)
        return applied

    def _lint(self, copy: Copy, path: Path, sql: str) -> tuple[list[str] | None, list[str] | None]:
        """What django-migration-linter (Django's files) and squawk find in the file, before it
        runs; on PostgreSQL only, whose SQL squawk reads."""
        if self.backend.vendor != "postgresql":
            return None, None
        lintmigrations = None
        if isinstance(copy, DjangoCopy):
            lintmigrations = lintmigrations_findings(copy.lint(copy.revision_of(path)).stdout)
        return lintmigrations, squawk(sql, [path.read_text()])

    def _report(self, scenario: Scenario) -> float:
        """How long scenario i's report goes on holding the posts table once the upgrade waits for
        it; on the servers only (SQLite, one writer at a time, has no such queue of locks)."""
        if scenario.behind_a_report and self.backend.vendor != "sqlite":
            return self.report_seconds
        return 0.0

    @staticmethod
    def _timed(
        scenario: Scenario, url: str, command: Callable[[], Outcome], report_seconds: float = 0.0
    ) -> tuple[Outcome, float, WriterReport | None]:
        """Run `command`; for a scenario under load, with the writer inserting meanwhile (and a
        moment after: see writer.AFTERWARDS), and first, given `report_seconds`, a report holding
        the posts table until the command has waited that long for it. Returns what it did, its
        seconds, the writer's report."""
        writer = Writer(url) if scenario.under_load else None
        if writer:
            writer.start()
        report = Report(url, report_seconds) if report_seconds else None
        if report:
            report.start()
            report.reading.wait()
        started = time.monotonic()
        outcome = command()
        seconds = time.monotonic() - started
        if report:
            report.join()
        return outcome, seconds, writer.stop() if writer else None
