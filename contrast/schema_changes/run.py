"""Run a scenario with both tools: generate, apply, check, downgrade, check; as generated and as
reviewed."""

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from contrast.schema_changes.copies import Copy, DjangoCopy, FlaskCopy, Outcome, replace_each
from contrast.schema_changes.data import Facts, seed
from contrast.schema_changes.databases import Backend, connected
from contrast.schema_changes.scenarios import Scenario, Side


@dataclass
class Applied:
    """One migration file applied to the chapter's data, then rolled back."""

    file: str
    sql: str
    upgrade: Outcome
    after_upgrade: Facts | None = None
    downgrade: Outcome | None = None
    after_downgrade: Facts | None = None


@dataclass
class ToolRun:
    """What one tool did with one scenario."""

    tool: str
    command: str
    generate: Outcome
    noinput: Outcome | None
    generated: Applied
    reviewed: Applied | None = None


@dataclass
class ScenarioRun:
    scenario: Scenario
    backend: str
    tools: dict[str, ToolRun] = field(default_factory=dict)


class Workshop:
    """The two template copies, made once, and the backend the scenarios run on."""

    def __init__(self, database_url: str = "") -> None:
        self.backend = Backend(database_url)
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
        result = ScenarioRun(scenario, self.backend.vendor)
        for tool in ("django", "flask"):
            result.tools[tool] = self._run_tool(scenario, tool)
        return result

    def _fresh_copy(self, scenario: Scenario, tool: str) -> Copy:
        template = self.templates[tool]
        folder = Path(self._folder.name) / scenario.key / tool
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(template.folder, folder, ignore=shutil.ignore_patterns("*.db"))
        copy = type(template)(folder, "")
        copy.database_url = self._url(scenario, tool, django_form=tool == "django")
        return copy

    def _url(self, scenario: Scenario, tool: str, django_form: bool) -> str:
        suffix = f"{scenario.key}_{tool}"
        return (
            self.backend.django_url(suffix) if django_form else self.backend.sqlalchemy_url(suffix)
        )

    def _chapter_database(self, scenario: Scenario, copy: Copy) -> None:
        """A new database at the chapter's schema, holding its users and posts."""
        self.backend.create(f"{scenario.key}_{copy.tool}")
        upgraded = copy.upgrade(copy.chapter)
        assert upgraded.ok, upgraded.stderr
        with connected(self._url(scenario, copy.tool, django_form=False)) as connection:
            seed(connection)

    def _run_tool(self, scenario: Scenario, tool: str) -> ToolRun:
        copy = self._fresh_copy(scenario, tool)
        side: Side = getattr(scenario, tool)
        self._chapter_database(scenario, copy)
        copy.change_models(side.models)
        noinput = None
        if isinstance(copy, DjangoCopy) and side.answers is not None:
            noinput = copy.make_migration_noinput(scenario.name)[1]
        before = copy.migration_files()
        command, generate = copy.make_migration(
            scenario.name, scenario.message, empty=side.empty, answers=side.answers
        )
        assert generate.ok, generate.stderr or generate.stdout
        (path,) = copy.migration_files() - before
        run = ToolRun(tool, command, generate, noinput, self._apply(scenario, copy, path))
        if side.review:
            self._chapter_database(scenario, copy)
            path.write_text(replace_each(path.read_text(), side.review))
            run.reviewed = self._apply(scenario, copy, path)
        return run

    def _apply(self, scenario: Scenario, copy: Copy, path: Path) -> Applied:
        sql = copy.sql(copy.revision_of(path))
        applied = Applied(path.read_text(), sql.stdout if sql.ok else sql.error, copy.upgrade())
        url = self._url(scenario, copy.tool, django_form=False)
        if not applied.upgrade.ok:
            return applied
        with connected(url) as connection:
            if scenario.after_upgrade:
                scenario.after_upgrade(connection)
            applied.after_upgrade = scenario.check_upgraded(connection)
        applied.downgrade = copy.downgrade(copy.chapter)
        if applied.downgrade.ok:
            with connected(url) as connection:
                applied.after_downgrade = scenario.check_downgraded(connection)
        return applied
