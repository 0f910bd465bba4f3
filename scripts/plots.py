"""Draws docs/plots/NAME.svg from the measurements in docs/data/NAME.json (`make plots`).

Each chart is a function of its data file alone, and the SVG is written byte for byte the same
for the same data (fixed hash salt for the SVG's ids, no date in its metadata), so
tests/test_plots.py can check that every committed chart is what its committed data draws now.
Every series has its own line style or hatch and marker, so a chart reads in black and white.
"""

import io
import json
import sys
import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, LogFormatter, NullFormatter
from matplotlib.typing import RcKeyType

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "docs" / "data"
PLOTS = ROOT / "docs" / "plots"

STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "microblog-django",  # the SVG's element ids, otherwise random per run
    # Text as text (a third of the size of text as shapes, and searchable), laid out with the
    # metrics of DejaVu Sans, which matplotlib ships: every machine draws the same bytes.
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.grid": True,
    "axes.axisbelow": True,  # grid lines behind bars and lines
    "grid.color": "#dddddd",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# One look per series, told apart without colour: line style and marker (colour only helps).
LOOKS = [
    {"linestyle": "-", "marker": "o", "color": "#1f4e79"},
    {"linestyle": "--", "marker": "s", "color": "#b03a2e"},
    {"linestyle": ":", "marker": "^", "color": "#1e7b34"},
    {"linestyle": "-.", "marker": "D", "color": "#7d3c98"},
]
HATCHES = ["", "///", "\\\\\\", "xx"]  # lines only: a dotted hatch is a path per dot
GREYS = ["#a0a0a0", "#d9d9d9", "#ffffff", "#ffffff"]  # fills, darkest first (the last hatched)


# Inches at the top of every chart for its title and the two lines under it (see title()).
TITLE_BAND = 0.9


def chart_figure(width: float, height: float) -> Figure:
    """A figure of this many inches whose charts leave the top band for the title."""
    top = 1 - TITLE_BAND / height
    return Figure(figsize=(width, height), layout=ConstrainedLayoutEngine(rect=(0, 0, 1, top)))


def title(figure: Figure, shows: str, where_and_when: str) -> None:
    """What the chart shows, in bold, over the machine and date it was measured on."""
    height = figure.get_figheight()
    figure.suptitle(shows, fontweight="bold", fontsize=11, x=0.01, y=1 - 0.08 / height, ha="left")
    subtitle = textwrap.fill(where_and_when, 130)
    figure.text(0.01, 1 - 0.34 / height, subtitle, fontsize=8, va="top")


def measured(data: dict[str, Any]) -> str:
    return f"Measured {data['measured']} on {data['machine']}: `{data['command']}`."


def posts_axis(axes: Axes, sizes: list[int]) -> None:
    """A log axis of table sizes, labelled 10k, 1M."""
    axes.set_xscale("log")
    axes.set_xticks(sizes)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: short_number(x)))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_xlim(sizes[0] / 3, sizes[-1] * 3)


def log_scale_in_plain_numbers(axes: Axes) -> None:
    """A log y axis labelled 40, 60, 100 rather than 4×10¹."""
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    axes.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))


def bar_look(number: int) -> dict[str, Any]:
    """The fill of the number-th series of bars: a grey and a hatch, outlined in black."""
    return {"color": GREYS[number], "hatch": HATCHES[number], "edgecolor": "k"}


def labelled_bar(
    axes: Axes, y: float, width: float, figure: str, height: float = 0.8, **look: Any
) -> None:
    """A horizontal bar with its figure written past its end."""
    axes.barh(y, width, height, **look)
    axes.text(width, y, f" {figure}", va="center", fontsize=7)


def row_axis(axes: Axes, places: list[float], labels: list[str], **text: Any) -> None:
    """A y axis of named rows, the first at the top, with no grid line through the bars."""
    axes.set_yticks(places, labels, **text)
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)


def grouped_rows(axes: Axes, labels: list[str], series: int) -> float:
    """A row axis whose every row holds a bar per series; returns the bars' height: series n's
    bar on row r is at r + n × height, and the row's name at the middle of its bars."""
    height = 0.8 / series
    row_axis(axes, [row + height * (series - 1) / 2 for row in range(len(labels))], labels)
    return height


def short_number(number: float) -> str:
    if number >= 1_000_000:
        return f"{number / 1_000_000:g}M"
    if number >= 1_000:
        return f"{number / 1_000:g}k"
    return f"{number:g}"


def pages(data: dict[str, Any]) -> Figure:
    """docs/performance.md: every page's time against posts, one panel per page."""
    series = [
        (backend, run["sizes"], by_page, run["measured"])
        for run in data["runs"]
        for backend, by_page in run["ms"].items()
    ]
    page_names = list(data["runs"][0]["ms"].values())[0].keys()
    figure = chart_figure(10, 9.5)
    panels = figure.subplots(3, 3).flat
    for axes, page in zip(panels, page_names, strict=True):
        for (backend, sizes, by_page, date), look in zip(series, LOOKS[: len(series)], strict=True):
            axes.plot(sizes, by_page[page], label=f"{backend} ({date})", **look)
        posts_axis(axes, series[0][1])
        log_scale_in_plain_numbers(axes)
        axes.set_title(page, fontsize=9)
        axes.set_xlabel("posts")
        axes.set_ylabel("ms per render")
    figure.legend(
        *panels.base[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=2
    )
    title(
        figure,
        "Time per page against posts, per backend (median render; log scales)",
        " ".join(measured(run) for run in data["runs"]),
    )
    return figure


def spreadsheets_export(data: dict[str, Any]) -> Figure:
    """docs/performance.md: each export's time and peak memory against posts."""
    figure = chart_figure(10, 5.2)
    times, memory = figure.subplots(1, 2)
    sizes = data["sizes"]
    for backend, look in zip(data["exports"], LOOKS[: len(data["exports"])], strict=True):
        for file_format, marker in zip(
            data["exports"][backend], "osD^"[: len(data["exports"][backend])], strict=True
        ):
            export = data["exports"][backend][file_format]
            style = {**look, "marker": marker, "fillstyle": "none" if marker == "o" else "full"}
            label = f"{backend}, {file_format}"
            times.plot(sizes, export["seconds"], label=label, **style)
            memory.plot(sizes, export["peak MiB"], label=label, **style)
    for axes in (times, memory):
        posts_axis(axes, sizes)
        axes.set_xlabel("posts exported")
    log_scale_in_plain_numbers(times)
    times.set_ylabel("seconds, end to end (log)")
    exports = [export for formats in data["exports"].values() for export in formats.values()]
    time_ratios = [export["seconds"][-1] / export["seconds"][0] for export in exports]
    times.set_title(
        f"time: {sizes[-1] / sizes[0]:,.0f} times the posts, {min(time_ratios):.0f} to "
        f"{max(time_ratios):.0f} times the seconds",
        fontsize=9,
    )
    memory.set_ylim(0, None)
    memory.set_ylabel("peak memory of the process, MiB")
    memory_ratios = [export["peak MiB"][-1] / export["peak MiB"][0] for export in exports]
    memory.set_title(
        f"peak memory: {min(memory_ratios):.2f} to {max(memory_ratios):.2f} times as much",
        fontsize=9,
    )
    figure.legend(*times.get_legend_handles_labels(), loc="outside right center")
    title(figure, "Exports from the admin: time and peak memory against posts", measured(data))
    return figure


def spreadsheets_import(data: dict[str, Any]) -> Figure:
    """docs/performance.md: the import against seed_demo, its last run and every run's ratio."""
    figure = chart_figure(10, 4.2)
    seconds, ratios = figure.subplots(1, 2)
    backends = list(data["last run seconds"])
    for row, backend in enumerate(backends):
        run = data["last run seconds"][backend]
        import_bar, seed_bar = row * 3 + 1, row * 3
        # The import's bar: its check, its write, and the rest of its time end to end (the
        # upload, the requests, the worker picking the tasks up).
        parts = [
            (run["check"], GREYS[1], HATCHES[1]),
            (run["write"], GREYS[2], HATCHES[2]),
            (run["end to end"] - run["check"] - run["write"], GREYS[2], HATCHES[0]),
        ]
        left = 0.0
        for width, grey, hatch in parts:
            seconds.barh(import_bar, width, left=left, color=grey, hatch=hatch, edgecolor="k")
            left += width
        seconds.text(left, import_bar, f" import {left:.1f} s", va="center", fontsize=7)
        labelled_bar(
            seconds,
            seed_bar,
            run["seed_demo"],
            f"seed_demo {run['seed_demo']:.1f} s",
            **bar_look(0),
        )
    row_axis(seconds, [row * 3 + 0.5 for row in range(len(backends))], backends)
    seconds.set_xlabel(f"seconds for {data['posts']:,} posts (last run)")
    longest = max(run["end to end"] for run in data["last run seconds"].values())
    seconds.set_xlim(0, longest * 1.9)
    seconds.legend(
        seconds.patches[:4],
        ["import: check", "import: write", "import: the rest", "seed_demo"],
        loc="center right",
    )
    for row, backend in enumerate(backends):
        runs = data["import / seed_demo, every run with the plan"][backend]
        ratios.plot(runs, [row] * len(runs), **{**LOOKS[row], "linestyle": "none"})
        ratios.plot(
            runs[-1:],
            [row],
            linestyle="none",
            marker="o",
            markersize=14,
            fillstyle="none",
            color="k",
        )
    ratios.axvline(data["goal"], color="k", linestyle="--")
    ratios.text(data["goal"], len(backends) - 0.5, f" goal: {data['goal']:g}×", fontsize=8)
    ratios.set_yticks(range(len(backends)), backends)
    ratios.set_ylim(len(backends) - 0.3, -0.7)
    ratios.set_xlim(0, None)
    ratios.set_xlabel("import / seed_demo, each run (circled: the last)")
    title(
        figure,
        f"Importing {data['posts']:,} posts through the admin, against seed_demo writing them",
        measured(data),
    )
    return figure


# What the drill's summary may measure per case, and how each is named on the chart.
FAILOVER_MEASURES = {
    "writes refused seconds": "writes refused",
    "the node hit streaming again seconds": "the node it hit streaming again",
    "worker seconds": "task worker: an import and an export",
    "slowest answer seconds": "the slowest answer",
}


def failover(data: dict[str, Any]) -> Figure:
    """docs/scale-out.md: per drill case, how long writes were refused and what else the drill
    timed (the measures its results hold), median and worst of the runs."""
    measures = [key for key in FAILOVER_MEASURES if any(key in case for case in data["cases"])]
    step = len(measures) + 1
    runs = data["runs per case"]
    figure = chart_figure(10, 1.6 + 0.3 * step * len(data["cases"]))
    axes = figure.subplots()
    labels = []
    for row, case in enumerate(data["cases"]):
        for offset, key in enumerate(measures):
            name, figures, y = FAILOVER_MEASURES[key], case.get(key), row * step + offset
            # The node hit's return says what it is timed from, or why there is none.
            since = case.get(key.replace(" seconds", " from"))
            if figures is None:
                axes.text(
                    0.1, y, f"{name}: none ({since or 'not measured'})", va="center", fontsize=7
                )
                continue
            median, worst = figures["median"], figures["worst"]
            axes.barh(
                y,
                median,
                label=(f"{name}: median" if runs > 1 else name) if row == 0 else None,
                **bar_look((offset + 1) % len(GREYS)),
            )
            if worst != median:
                axes.plot([median, worst], [y, y], color="k", linewidth=0.8)
                axes.plot(worst, y, marker="|", markersize=10, color="k", linestyle="none")
            written = f"{median:g} s" if worst == median else f"{median:g} s (worst {worst:g} s)"
            if since:
                written += f" {since}"
            axes.text(worst, y, f"  {written}", va="center", fontsize=7)
        refused = (
            f", {case['answers refused']:,} answers refused (503)"
            if "answers refused" in case
            else ""
        )
        labels.append(
            f"{case['case'].replace('`', '')}\n"
            f"{case['public reads failed']} of {case['public reads']:,} reads failed,\n"
            f"{case['posts lost']} of {case['posts acknowledged']:,} posts lost{refused}"
        )
    row_axis(
        axes, [row * step + (step - 2) / 2 for row in range(len(data["cases"]))], labels, fontsize=8
    )
    longest = max(case[key]["worst"] for case in data["cases"] for key in measures if case.get(key))
    axes.set_xlim(0, longest * 1.35)
    axes.set_xlabel(
        f"seconds ({runs} runs of each case: the bar is the median, the mark the worst)"
        if runs > 1
        else "seconds (one run of each case)"
    )
    axes.legend(loc="lower right", fontsize=7)
    title(
        figure,
        "Faults under load, per drill case: how long writes were refused, and what else was timed",
        measured(data),
    )
    return figure


def schema_changes_1m(data: dict[str, Any]) -> Figure:
    """docs/schema-changes.md: the writer's worst wait through each step, generated or reviewed."""
    backends = ["SQLite", "PostgreSQL", "MariaDB"]
    rows: list[tuple[str, str, str]] = []
    for step in data["steps"]:
        row = (step["scenario"], step["tool"], step["step"])
        if row not in rows:
            rows.append(row)
    files = ["generated", "reviewed", "reviewed, kept live"]
    markers = {
        "generated": ("o", "none"),
        "reviewed": ("s", "full"),
        "reviewed, kept live": ("^", "full"),
    }
    waits = [
        step[backend]["worst wait seconds"]
        for step in data["steps"]
        for backend in backends
        if step.get(backend)
    ]
    figure = chart_figure(10, 0.39 * len(rows))  # 8.5 in for the 22 rows it had first
    panels = figure.subplots(1, 3, sharey=True)
    for axes, backend in zip(panels, backends, strict=True):
        for step in data["steps"]:
            cell = step.get(backend)  # None: the step did not run on it (a dash in the table)
            if cell is None:
                continue
            # The files of one step side by side on its row: generated above, reviewed below.
            place = rows.index((step["scenario"], step["tool"], step["step"]))
            y = place + (files.index(step["file"]) - 1) * 0.22
            marker, fill = markers[step["file"]]
            axes.plot(
                cell["worst wait seconds"],
                y,
                marker=marker,
                fillstyle=fill,
                color="k",
                linestyle="none",
                markersize=6,
            )
            if cell["outcome"]:
                axes.text(
                    cell["worst wait seconds"] * 1.25, y, cell["outcome"], fontsize=7, va="center"
                )
        axes.axvline(1, color="k", linestyle=":", linewidth=1)
        axes.set_xscale("log")
        axes.set_xlim(min(waits) * 0.7, max(waits) * 5)  # room for the outcome on the right
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        axes.set_xlabel("writer's worst wait, seconds (log)")
        axes.set_title(backend)
        for boundary in range(1, len(rows)):
            if rows[boundary][0] != rows[boundary - 1][0]:
                axes.axhline(boundary - 0.5, color="#999999", linewidth=0.8)
    panels[0].set_yticks(range(len(rows)), [" ".join(row) for row in rows])
    panels[0].set_ylim(len(rows) - 0.5, -0.5)
    for axes in panels:
        axes.grid(axis="y", visible=False)
    handles = [
        panels[0].plot(
            [], [], marker=markers[f][0], fillstyle=markers[f][1], color="k", linestyle="none"
        )[0]
        for f in files
    ]
    figure.legend(handles, [f"{f} file" for f in files], loc="outside lower center", ncols=3)
    title(
        figure,
        f"The writer beside each schema change at {data['posts']:,} posts: its worst wait "
        "for one insert",
        measured(data) + " A dash in the table is no point here; the dotted line is 1 s.",
    )
    return figure


def failover_timeline(data: dict[str, Any]) -> Figure:
    """docs/scale-out.md: each drill run's requests per second around the failover."""
    runs = data["runs"]
    figure = chart_figure(10, 2.6 * len(runs) + 1)
    panels = figure.subplots(len(runs), 1, sharex=True, squeeze=False)[:, 0]
    series = [
        ("reads answered", {"linestyle": "-", "color": "#1f4e79"}),
        ("reads failed", {"linestyle": "-.", "color": "#7d3c98", "marker": "D"}),
        ("writes acknowledged", {"linestyle": "--", "color": "#1e7b34"}),
        ("writes refused", {"linestyle": ":", "color": "#b03a2e", "marker": "x"}),
    ]
    started = {"leader lost": "leader killed", "postmaster lost": "postmaster killed"}
    for axes, run in zip(panels, runs, strict=True):
        # The first and last seconds are partial (the case starts and ends inside them).
        seconds = run["seconds"][1:-1]
        for name, look in series:
            counts = run["per second"][name][1:-1]
            label = f"{name} ({sum(run['per second'][name]):,})"
            marked = [index for index, count in enumerate(counts) if count]
            axes.plot(
                seconds, counts, drawstyle="steps-post", label=label, markevery=marked, **look
            )
        moments = {started.get(run["case"], run["case"]): 0.0, **run["moments"]}
        for number, (moment, second) in enumerate(moments.items()):
            axes.axvline(second, color="k", linewidth=0.8, linestyle=(0, (1, 3)))
            axes.annotate(
                f"{moment} ({second:g} s)",
                (second, 1 - 0.13 * number),
                xycoords=("data", "axes fraction"),
                xytext=(3, -2),
                textcoords="offset points",
                va="top",
                fontsize=7,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            )
        axes.set_title(f"{run['case']} ({run['leader']})", fontsize=9, loc="left")
        axes.set_ylabel("requests per second")
        axes.set_ylim(0, None)
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)
    panels[-1].set_xlabel("seconds from the moment the leader was lost (by when each was sent)")
    title(
        figure,
        "Around each failover: public reads and editors' posts per second, one run of each case",
        measured(data) + " The moments are when the drill saw them: it polls the cluster.",
    )
    return figure


def seeding_sqlite(data: dict[str, Any]) -> Figure:
    """docs/performance.md: demo posts written per second on SQLite, per way of keeping the
    trigram table, at each size."""
    ways = list(data["ways"])
    figure = chart_figure(10, 4.6)
    axes = figure.subplots()
    height = grouped_rows(axes, ways, len(data["sizes"]))
    for number, size in enumerate(data["sizes"]):
        for row, way in enumerate(ways):
            rate, seconds = (
                data["ways"][way][number][key] for key in ("posts per second", "seconds")
            )
            labelled_bar(
                axes,
                row + number * height,
                rate,
                f"{rate:,} posts/s ({seconds:g} s)",
                height,
                label=f"{size:,} posts" if row == 0 else None,
                **bar_look(number),
            )
    axes.set_xlim(0, max(w[-1]["posts per second"] for w in data["ways"].values()) * 1.3)
    axes.set_xlabel("posts written per second (more is faster)")
    axes.legend(loc="lower right")
    title(
        figure,
        "Writing demo posts on SQLite, by how the trigram search table is kept",
        measured(data),
    )
    return figure


def orm(data: dict[str, Any]) -> Figure:
    """docs/performance.md: raw sqlite3, SQLAlchemy's ORM and Django's ORM on the same work."""
    operations = list(data["microseconds"])
    figure = chart_figure(10, 1 + 1.1 * len(operations))
    panels = figure.subplots(len(operations), 1)
    units = [(1e6, "s"), (1e3, "ms"), (1, "µs")]
    for axes, operation in zip(panels, operations, strict=True):
        times = data["microseconds"][operation]
        scale, unit = next((scale, unit) for scale, unit in units if max(times) >= scale)
        for row, time in enumerate(times):
            labelled_bar(axes, row, time / scale, f"{time / scale:g} {unit}", **bar_look(row))
        row_axis(axes, list(range(len(times))), data["contenders"], fontsize=7)
        axes.set_xlim(0, max(times) / scale * 1.2)
        axes.set_title(f"{operation} ({unit}; less is faster)", fontsize=8, loc="left")
    title(
        figure,
        "The same work on SQLite: raw sqlite3, SQLAlchemy's ORM, Django's ORM",
        measured(data),
    )
    return figure


def load(data: dict[str, Any]) -> Figure:
    """docs/load.md: each kind of request's median and 99th percentile, per backend."""
    backends = list(data["ms"])
    kinds = list(data["ms"][backends[0]])
    figure = chart_figure(10, 3.6)
    axes = figure.subplots()
    height = grouped_rows(axes, kinds, len(backends))
    for number, backend in enumerate(backends):
        places = [row + number * height for row in range(len(kinds))]
        label = f"{backend} ({data['requests per second'][backend]} requests/s): median"
        p50 = [data["ms"][backend][kind]["p50"] for kind in kinds]
        p99 = [data["ms"][backend][kind]["p99"] for kind in kinds]
        axes.barh(places, p50, height, label=label, **bar_look(number))
        axes.plot(
            p99,
            places,
            linestyle="none",
            marker="|",
            markersize=14,
            color="k",
            label="99th percentile" if number == 0 else None,
        )
        for place, median, slowest in zip(places, p50, p99, strict=True):
            axes.plot([median, slowest], [place, place], color="k", linewidth=0.8)
            axes.text(slowest, place, f"  {median:,} / {slowest:,} ms", va="center", fontsize=7)
    axes.set_xlim(0, max(d[k]["p99"] for d in data["ms"].values() for k in d) * 1.6)
    axes.set_xlabel("milliseconds per request (bar: median; line to the mark: 99th percentile)")
    axes.legend(loc="lower right", fontsize=7)
    title(
        figure,
        "The production server under load on loopback: latency per kind of request",
        measured(data),
    )
    return figure


def schema_change_upgrades(shows: str, data: dict[str, Any]) -> Figure:
    """docs/schema-changes.md: one scenario's upgrades beside the writer, per backend and file."""
    files = ["generated", "reviewed", "reviewed, kept live"]
    in_order = sorted(
        (step for step in data["steps"] if step["step"] == "upgrade"),
        key=lambda step: (step["tool"] != "Django", files.index(step["file"])),
    )
    upgrades = [
        (backend, step, step[backend])
        for backend in ("SQLite", "PostgreSQL", "MariaDB")
        for step in in_order
        if backend in step
    ]
    figure = chart_figure(10, 1.2 + 0.35 * len(upgrades))
    upgrade, wait = figure.subplots(1, 2, sharey=True)
    for row, (_, step, cell) in enumerate(upgrades):
        look = bar_look(1) if step["file"].startswith("reviewed") else {**bar_look(2), "hatch": ""}
        seconds, waited = cell["step seconds"], cell["worst wait seconds"]
        labelled_bar(upgrade, row, seconds, f"{seconds:g} s", **look)
        labelled_bar(wait, row, waited, f"{waited:g} s ({cell['failed inserts']} failed)", **look)
    labels = [f"{backend}: {step['tool']}, {step['file']}" for backend, step, _ in upgrades]
    row_axis(upgrade, list(range(len(upgrades))), labels)
    wait.grid(axis="y", visible=False)
    upgrade.set_xlim(0, max(cell["step seconds"] for *_, cell in upgrades) * 1.2)
    upgrade.set_xlabel("upgrade, seconds (tool start-up included)")
    wait.set_xlim(0, max(cell["worst wait seconds"] for *_, cell in upgrades) * 1.5)
    wait.set_xlabel("writer's worst wait for an insert, seconds")
    title(figure, shows.format(posts=data["posts"]) + "; hatched: reviewed", measured(data))
    return figure


def admin_contrast_hostile(data: dict[str, Any]) -> Figure:
    """docs/admin-contrast.md: per kind of hostile input, each admin's 5xx answers and saves, a
    row of panels per backend."""
    backends = list(data["backends"])
    sides = list(data["backends"][backends[0]])
    kinds = list(data["backends"][backends[0]][sides[0]]["sent"])
    everything = [counts for found in data["backends"].values() for counts in found.values()]
    most_failed = max(max(counts["5xx"].values()) for counts in everything)
    most_saved = max(max(counts["saved"].values()) for counts in everything)
    figure = chart_figure(10, 1.4 + (0.5 + 0.7 * len(kinds)) * len(backends))
    panels = figure.subplots(len(backends), 2, sharey=True, sharex="col", squeeze=False)
    for (failures, saves), backend in zip(panels, backends, strict=True):
        height = grouped_rows(failures, kinds, len(sides))
        for number, side in enumerate(sides):
            counts = data["backends"][backend][side]
            for row, kind in enumerate(kinds):
                y = row + number * height
                label = side if row == 0 else None
                failed, sent = counts["5xx"][kind], counts["sent"][kind]
                saved = counts["saved"][kind]
                look = bar_look(number)
                labelled_bar(
                    failures, y, failed, f"{failed} of {sent}", height, label=label, **look
                )
                labelled_bar(saves, y, saved, f"{saved}", height, **look)
        saves.grid(axis="y", visible=False)
        totals = ", ".join(
            f"{sum(c['5xx'].values())} of {sum(c['sent'].values())}"
            for c in data["backends"][backend].values()
        )
        failures.set_title(
            f"{backend}; 5xx in all, in the legend's order: {totals}", fontsize=9, loc="left"
        )
    failures.set_xlim(0, max(most_failed, 1) * 1.6)
    failures.set_xlabel("5xx answers (of the requests sent)")
    saves.set_xlim(0, most_saved * 1.2)
    saves.set_xlabel("forms saved with the value (answered with a redirect)")
    figure.legend(*failures.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    title(
        figure,
        "Hostile input through each admin's forms and lists, per backend: 5xx answers and saves",
        measured(data),
    )
    return figure


def backups(data: dict[str, Any]) -> Figure:
    """docs/production.md: each backend's backup and restore, and the size of its file."""
    steps = ["backup", "restore"]
    backends = list(data["backends"])
    figure = chart_figure(10, 1.6 + 0.7 * len(backends))
    axes = figure.subplots()
    labels = [
        f"{name}\n({figures['file MB']:g} MB file)" for name, figures in data["backends"].items()
    ]
    height = grouped_rows(axes, labels, len(steps))
    for number, step in enumerate(steps):
        for row, backend in enumerate(backends):
            seconds = data["backends"][backend][f"{step} seconds"]
            labelled_bar(
                axes,
                row + number * height,
                seconds,
                f"{step} {seconds:g} s",
                height,
                label=step if row == 0 else None,
                **bar_look(number + 1),
            )
    longest = max(f[f"{step} seconds"] for f in data["backends"].values() for step in steps)
    axes.set_xlim(0, longest * 1.25)
    axes.set_xlabel("seconds (less is faster)")
    axes.legend(loc="lower right")
    title(
        figure,
        f"Backing up and restoring {data['posts']:,} posts with manage.py, per backend",
        measured(data),
    )
    return figure


def admin_contrast_pages(data: dict[str, Any]) -> Figure:
    """docs/admin-contrast.md: each admin's pages at one size (benchmarks/admin_contrast.py's
    results, at 10,000 posts or a million), one panel per backend."""
    backends = list(data["backends"])
    pages = list(data["backends"][backends[0]]["pages"])
    sides = list(data["backends"][backends[0]]["pages"][pages[0]])[:3]
    figure = chart_figure(10, 3.4 * len(backends) + 1.4)
    panels = figure.subplots(len(backends), 1, sharex=True, squeeze=False)[:, 0]
    for axes, backend in zip(panels, backends, strict=True):
        height = grouped_rows(axes, pages, len(sides))
        rows = data["backends"][backend]["pages"]
        for number, side in enumerate(sides):
            places = [row + number * height for row in range(len(pages))]
            for place, page in zip(places, pages, strict=True):
                result = rows[page][side]
                if result and "ms" in result:
                    ms = result["ms"]
                    axes.barh(
                        place,
                        ms,
                        height,
                        label=side if place == places[0] else None,
                        **bar_look(number),
                    )
                    label = f" {ms:,.0f} ms, {result['queries']} q"
                    if result["rows"] is not None:  # a form shows no rows
                        label += f", {result['rows']:,} rows"
                    if result["status"] != 200:  # the time it took to fail
                        label += f", HTTP {result['status']}: {result['error'].split(':')[0]}"
                else:
                    # No such page on that side, or what stopped it (a bound reached).
                    label = " none" if result is None else f" {result['error'][:60]}"
                    ms = 1
                axes.text(ms, place, label, va="center", fontsize=6)
        axes.set_xscale("log")
        axes.set_xlim(1, 10**6)
        axes.axvline(data["bounds"]["seconds"] * 1000, color="k", linestyle=":", linewidth=1)
        axes.set_title(backend, fontsize=9, loc="left")
    panels[-1].xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    panels[-1].set_xlabel(
        "milliseconds per page (median render; log scale; q: queries, and the rows shown;"
        " dotted: the time bound)"
    )
    figure.legend(*panels[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
    title(
        figure,
        f"Each admin's pages at {data['posts']:,} posts, per backend",
        measured(data) + f" Bounds: {data['bounds']['seconds']} s and "
        f"{data['bounds']['GB']} GB per page.",
    )
    return figure


CHARTS: dict[str, Callable[[dict[str, Any]], Figure]] = {
    "pages": pages,
    "spreadsheets-import": spreadsheets_import,
    "spreadsheets-export": spreadsheets_export,
    "failover": failover,
    "failover-one-round": failover,
    "failover-timeline": failover_timeline,
    "schema-changes-1m": schema_changes_1m,
    "seeding-sqlite": seeding_sqlite,
    "orm": orm,
    "load": load,
    "load-standby": load,
    "schema-changes-f-100k": partial(
        schema_change_upgrades, "Adding an index to {posts:,} posts under a writer (f)"
    ),
    "schema-changes-i-100k": partial(
        schema_change_upgrades,
        "Adding a column to {posts:,} posts behind a 30-second read, under a writer (i)",
    ),
    "schema-changes-i-1m": partial(
        schema_change_upgrades,
        "Adding a column to {posts:,} posts behind a 30-second read, under a writer (i)",
    ),
    "admin-contrast-pages": admin_contrast_pages,
    "admin-contrast-1m": admin_contrast_pages,
    "admin-contrast-hostile": admin_contrast_hostile,
    "backups": backups,
}


def draw(name: str) -> bytes:
    """The SVG that docs/data/NAME.json draws."""
    data = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    with matplotlib.rc_context(STYLE):
        figure = CHARTS[name](data)
        svg = io.BytesIO()
        figure.savefig(svg, format="svg", metadata={"Date": None})
    return svg.getvalue()


def main() -> None:
    PLOTS.mkdir(exist_ok=True)
    for name in CHARTS:
        (PLOTS / f"{name}.svg").write_bytes(draw(name))
        print(f"docs/plots/{name}.svg from docs/data/{name}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
