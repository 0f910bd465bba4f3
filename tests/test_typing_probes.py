"""docs/contrast.md's "What a type checker knows" is what mypy says: the test runs mypy on the
probes in tests/typing_probes/ and rebuilds each row of the guide's table from what it reveals."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "contrast.md"
PROBES = ROOT / "tests" / "typing_probes"
DJANGO_PROBE = PROBES / "django_models.py"
FLASK_PROBE = PROBES / "flask_2024_models.py"
REVEALED = re.compile(r'^(?P<path>\S+):(?P<line>\d+): note: Revealed type is "(?P<type>.*)"$')


def revealed_types(*probes: Path) -> dict[tuple[str, int], str]:
    """{(file name, line): type} for each reveal_type() in the probes, as mypy prints the type,
    less the `builtins.` in front of int, str and list, which the guide leaves out too."""
    # The project's own mypy settings (pyproject.toml), django-stubs' plugin included.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *(str(probe.relative_to(ROOT)) for probe in probes)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {
        (Path(found["path"]).name, int(found["line"])): found["type"].replace("builtins.", "")
        for found in map(REVEALED.match, result.stdout.splitlines())
        if found
    }


def probes_in(probe: Path) -> list[tuple[str, str, int]]:
    """(question, expression, line) for each reveal_type() in a probe, in order; the question is
    the comment on the line above it."""
    source = probe.read_text(encoding="utf-8")
    lines = source.splitlines()
    calls = sorted(
        (
            node
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "reveal_type"
        ),
        key=lambda call: call.lineno,
    )
    return [
        (
            lines[call.lineno - 2].strip().removeprefix("# "),
            " ".join(str(ast.get_source_segment(source, call.args[0])).split()),
            call.lineno,
        )
        for call in calls
    ]


def test_the_guide_shows_what_mypy_reveals_on_each_stack():
    types = revealed_types(DJANGO_PROBE, FLASK_PROBE)
    django, flask = probes_in(DJANGO_PROBE), probes_in(FLASK_PROBE)
    # Both probes ask the same questions, in the same order.
    assert [question for question, _, _ in django] == [question for question, _, _ in flask]
    assert len(django) >= 5

    guide = GUIDE.read_text(encoding="utf-8")
    for (question, django_expression, django_line), (_, flask_expression, flask_line) in zip(
        django, flask, strict=True
    ):
        django_type = types[DJANGO_PROBE.name, django_line]
        flask_type = types[FLASK_PROBE.name, flask_line]
        row = (
            f"| {question} | `{django_expression}` → `{django_type}` "
            f"| `{flask_expression}` → `{flask_type}` |"
        )
        assert row in guide, f"docs/contrast.md should have the row\n{row}"
