"""The charts in docs/plots/ are what the results in docs/data/ draw, and each is on a page;
the drill and the schema changes write their results in the form the charts read."""

import json
import re

import pytest

from contrast.schema_changes.copies import Outcome
from contrast.schema_changes.report import load_results
from contrast.schema_changes.run import Applied, ScenarioRun, ToolRun
from contrast.schema_changes.scenarios import SCENARIOS
from contrast.schema_changes.writer import WriterReport
from scripts import plots
from scripts.failover_drill import Case, Event, Traffic, timeline, write_summary

DOCS = plots.ROOT / "docs"


@pytest.mark.parametrize("name", sorted(plots.CHARTS))
def test_the_committed_chart_is_what_its_committed_data_draws(name):
    committed = plots.PLOTS / f"{name}.svg"

    # A table's figures changed without `make plots`, or the chart was edited by hand.
    assert committed.read_bytes() == plots.draw(name), f"run `make plots`: {committed} is stale"


def test_every_data_file_has_its_chart_and_every_chart_its_data():
    data = {path.stem for path in plots.DATA.glob("*.json")}
    charts = {path.stem for path in plots.PLOTS.glob("*.svg")}

    assert data == set(plots.CHARTS) == charts


def test_every_chart_is_shown_on_a_page_of_the_docs():
    pages = "\n".join(page.read_text(encoding="utf-8") for page in DOCS.glob("*.md"))
    shown = set(re.findall(r"!\[[^\]]*\]\(plots/([\w-]+)\.svg\)", pages))

    assert shown == set(plots.CHARTS)


def test_every_data_file_says_where_it_comes_from_and_where_and_when_it_was_measured():
    for name in plots.CHARTS:
        data = json.loads((plots.DATA / f"{name}.json").read_text(encoding="utf-8"))
        # Measured in one run, or in several (data/pages.json), each saying its own.
        runs = [data] if "measured" in data else data["runs"]

        assert data["source"], name
        assert all(run["measured"] and run["machine"] and run["command"] for run in runs), name


def test_the_drill_counts_each_second_s_requests_by_when_they_were_sent():
    case = Case("switchover", started=95.5, ended=103.2, killed=100.0, leading=103.0)
    case.writes_refused, case.streaming = 2.5, 104.0
    traffic = Traffic(port=0, author_id="1")
    traffic.events += [
        Event("read", 99.9, 100.1, 200),
        Event("read", 100.2, 100.3, 200),
        Event("read", 100.4, 101.9, 503),
        Event("write", 100.5, 100.6, 503),
        Event("admin", 100.7, 100.8, 200),  # the list a post redirects to: not counted
        Event("write", 102.4, 102.5, 302),
        Event("read", 104.0, 104.1, 200),  # after the case
    ]

    found = timeline(case, traffic)

    # Seconds -5 to 3 around the kill, each request counted in the second it was sent.
    assert found["seconds"] == list(range(-5, 4))
    counts = found["per second"]
    assert counts["reads answered"][4:7] == [1, 1, 0]
    assert counts["reads failed"][5] == 1
    assert counts["writes refused"][5] == 1
    assert counts["writes acknowledged"][7] == 1
    assert found["moments"] == {
        "a leader again": 3.0,
        "writes back": 2.5,
        "old leader streaming": 4.0,
    }


def test_the_drill_s_summary_gives_each_case_s_median_and_worst_and_its_sums(tmp_path):
    counts = {
        "public reads": 100,
        "public reads failed": 0,
        "posts intended": 10,
        "posts acknowledged": 10,
        "posts lost": 0,
        "posts duplicated": 0,
        "found made by an earlier sending": 1,
        "answers refused": 7,
        "5xx other than 503": 0,
        "slowest answer seconds": 0.5,
    }
    cases = []
    for refused, rejoined in ((2.0, 5.0), (4.0, 8.0)):
        case = Case("switchover", writes_refused=refused, rejoined=rejoined, worker_seconds=3.0)
        case.counts = counts
        cases.append(case)
    cases.append(Case("postmaster lost", writes_refused=6.0, counts=counts))
    # The fault hits the standby, which streams on as soon as its PostgreSQL wakes.
    frozen = Case("standby's PostgreSQL frozen 30 s", writes_refused=20.0, restarted=130.0)
    frozen.victim, frozen.rejoined, frozen.counts = "node2", 0.0, counts
    cases.append(frozen)
    path = tmp_path / "failover.json"

    write_summary(path, cases)

    data = json.loads(path.read_text())
    switchover, postmaster_lost, standby_frozen = data["cases"]
    assert switchover["writes refused seconds"] == {"median": 3.0, "worst": 4.0}
    assert switchover["the node hit streaming again seconds"] == {"median": 6.5, "worst": 8.0}
    assert switchover["the node hit streaming again from"] == "after the switchover"
    assert switchover["public reads"] == 200
    assert switchover["answers refused"] == 14
    assert switchover["found made by an earlier sending"] == 2
    assert switchover["slowest answer seconds"] == {"median": 0.5, "worst": 0.5}
    assert postmaster_lost["the node hit streaming again seconds"] is None
    assert postmaster_lost["the node hit streaming again from"] == "it stays the leader"
    assert standby_frozen["the node hit streaming again seconds"] == {"median": 0.0, "worst": 0.0}
    assert standby_frozen["the node hit streaming again from"] == "after its PostgreSQL woke"
    # The chart of docs/data/failover.json draws what the drill writes.
    assert plots.failover(data).axes


def test_a_schema_change_run_fills_its_own_backend_s_cells_and_keeps_the_others():
    index_under_a_writer = next(scenario for scenario in SCENARIOS if scenario.key == "f")
    applied = Applied(
        file="",
        sql="",
        upgrade=Outcome(True, "", ""),
        upgrade_seconds=3.31,
        writer=WriterReport(inserted=60, worst_stall=1.472),
        downgrade=Outcome(False, "", "django.db.utils.OperationalError: locked"),
        downgrade_seconds=2.0,
        downgrade_writer=WriterReport(inserted=40, worst_stall=0.07, failures=["locked"]),
    )
    django = ToolRun("django", "", Outcome(True, "", ""), None, generated=applied)
    sqlite_cell = {"outcome": None, "step seconds": 4.7, "worst wait seconds": 3.19}
    results = {
        "steps": [
            {"scenario": "f", "tool": "Django", "file": "generated", "step": "upgrade"}
            | {"SQLite": sqlite_cell}
        ]
    }

    load_results([ScenarioRun(index_under_a_writer, "postgresql", {"django": django})], results)

    upgrade, downgrade = results["steps"]
    assert upgrade["SQLite"] == sqlite_cell
    assert upgrade["PostgreSQL"] == {
        "outcome": None,
        "step seconds": 3.3,
        "worst wait seconds": 1.47,
        "failed inserts": 0,
        "posts written": 60,
    }
    assert downgrade["step"] == "downgrade"
    assert downgrade["PostgreSQL"]["outcome"] == "fails"
    assert downgrade["PostgreSQL"]["failed inserts"] == 1
