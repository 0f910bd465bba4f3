"""The charts in docs/plots/ are what the results in docs/data/ draw, and each is on a page."""

import json
import re

import pytest

from scripts import plots

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
