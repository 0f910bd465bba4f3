"""The chapter's migration workflow on a database in use, with both tools (docs/schema-changes.md).

    python scripts/schema_changes.py                       # every scenario, on SQLite
    python scripts/schema_changes.py --database-url URL    # on the server URL names (Django's
                                                           # form); scratch databases <name>_django
                                                           # and <name>_flask are made there, and
                                                           # dropped at the end
    python scripts/schema_changes.py --keep-databases      # ... unless asked to keep them
    python scripts/schema_changes.py --only c1 b           # some scenarios
    python scripts/schema_changes.py --posts 1000000       # c0 c1 c3 c2 g d f i on a million posts
    python scripts/schema_changes.py --update-doc          # rewrite the guide's generated blocks
                                                           # (on SQLite the files and their SQL,
                                                           # on PostgreSQL the linters' table)
    python scripts/schema_changes.py --posts 1000000 --results docs/data/schema-changes-1m.json
                                 # the writer's figures into this backend's cells (make plots)
    python scripts/schema_changes.py --only f --results docs/data/schema-changes-f-100k.json
    python scripts/schema_changes.py --only i --report-seconds 30 \
        --results docs/data/schema-changes-i-100k.json   # the same, for f's and i's charts

Prints one line per scenario, tool and migration file (as generated, then as reviewed): whether the
upgrade and downgrade ran, and whether the chapter's users and posts survived each.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contrast.schema_changes.report import (  # noqa: E402
    generated_blocks,
    linter_table,
    load_results,
    load_table,
    table,
    update_guide,
)
from contrast.schema_changes.run import Workshop  # noqa: E402
from contrast.schema_changes.scenarios import SCENARIOS  # noqa: E402

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "schema-changes.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="a PostgreSQL or MariaDB server")
    parser.add_argument("--only", nargs="*", help="scenario keys (c0 c1 c3 c2 b g d e a h f i)")
    parser.add_argument(
        "--posts",
        type=int,
        default=100_000,
        help="posts table size for the scenarios under a writer (c0 c1 c3 c2 g d f i)",
    )
    parser.add_argument(
        "--report-seconds",
        type=float,
        default=8.0,
        help="how long scenario i's report holds the posts table (the issue's: 30)",
    )
    parser.add_argument(
        "--keep-databases", action="store_true", help="leave the scratch databases on the server"
    )
    parser.add_argument("--update-doc", action="store_true", help="rewrite the guide's blocks")
    parser.add_argument(
        "--results",
        type=Path,
        help="JSON file whose cells for this backend get the writer's figures (make plots)",
    )
    options = parser.parse_args()
    results = (
        json.loads(options.results.read_text())
        if options.results and options.results.exists()
        else {}
    )
    if options.results and results.get("posts", options.posts) != options.posts:
        # One file, one table size: a 100,000-post run must not land in the million-post chart.
        parser.error(f"{options.results} holds {results['posts']:,} posts, not {options.posts:,}")

    started = time.monotonic()
    workshop = Workshop(
        options.database_url,
        posts=options.posts,
        keep_databases=options.keep_databases,
        report_seconds=options.report_seconds,
    )
    try:
        runs = []
        for scenario in SCENARIOS:
            if options.only and scenario.key not in options.only:
                continue
            print(f"{scenario.key}: {scenario.title} ...", flush=True)
            runs.append(workshop.run(scenario))
    finally:
        workshop.close()
    print()
    print(table(runs))
    if any(run.scenario.under_load for run in runs):
        print(f"\nUnder a writer inserting a post every 50 ms, {options.posts:,} posts:\n")
        print(load_table(runs))
    if workshop.backend.vendor == "postgresql":
        print("\nWhat the linters say:\n")
        print(linter_table(runs))
    if options.results:
        load_results(runs, results)
        results |= {
            "shows": f"the writer beside each schema change at {options.posts:,} posts (an insert"
            " every 50 ms): its worst wait for one insert, per step",
            "source": "written by scripts/schema_changes.py --results, a backend per run (the"
            " other backends keep their earlier figures)",
            "measured": time.strftime("%Y-%m-%d", time.gmtime()),
            "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
            "command": "python scripts/schema_changes.py " + " ".join(sys.argv[1:]),
            "posts": options.posts,
        }
        options.results.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        print(f"wrote the writer's figures on {workshop.backend.vendor} into {options.results}")
    if options.update_doc:
        # The files and their SQL come from SQLite, the linters' table from PostgreSQL.
        GUIDE.write_text(update_guide(GUIDE.read_text(), generated_blocks(runs)))
        print(f"rewrote the generated blocks of {GUIDE}")
    elapsed = time.monotonic() - started
    print(f"\n{len(runs)} scenarios on {workshop.backend.vendor} in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
