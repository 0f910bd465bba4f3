"""docs/contrast.md's SQL cannot rot: every ```sql block of "The SQL each ORM sends" is captured
again, live, on its own backend, and must read as the guide shows it."""

import difflib
import os
import re
from urllib.parse import urlsplit, urlunsplit

import django
import pytest
import sqlalchemy

from contrast.sql_capture import SIDES, STEPS, capture, marked_blocks, markers, rewritten, vendor
from tests.servers import MARIADB, POSTGRES, needs_mysqlclient, require
from tests.test_contrast_guide import GUIDE, ROOT

SERVERS = {
    "postgresql": (POSTGRES, "postgres", "MATRIX_POSTGRES_URL"),
    "mariadb": (MARIADB, "mysql", "MATRIX_MARIADB_URL"),
}


def database_url(backend):
    """Where to capture (the scratch database is named after it, plus `_sql`): DATABASE_URL when
    it names this backend; else a temporary SQLite file, or the server test-all's matrix names
    (MATRIX_POSTGRES_URL, MATRIX_MARIADB_URL), or this machine's."""
    url = os.environ.get("DATABASE_URL", "")
    if backend == "sqlite":
        return "sqlite://"
    if url and vendor(url) == backend:
        return url
    server, scheme, variable = SERVERS[backend]
    if not os.environ.get(variable):
        require(server)
    parts = urlsplit(
        os.environ.get(variable)
        or f"{scheme}://{server['user']}@{server['host']}:{server['port']}/contrast_sql"
    )
    # The process id keeps this run apart from the matrix's run on that backend.
    return urlunsplit(parts._replace(path=f"{parts.path}_{os.getpid()}"))


def pinned(package, requirements):
    """The version `requirements` (a file of the project's) pins `package` to."""
    text = (ROOT / requirements).read_text(encoding="utf-8")
    return re.search(rf"^{package}==(\S+)$", text, re.MULTILINE)[1]


@pytest.fixture
def pinned_versions():
    """The guide shows the SQL of the versions the project pins; make test-newest runs a newer
    Django, whose SQL may differ, and the guide does not show it."""
    for package, installed, requirements in (
        ("Django", django.__version__, "requirements.txt"),
        ("SQLAlchemy", sqlalchemy.__version__, "requirements-flask.txt"),
    ):
        if installed != pinned(package, requirements):
            pytest.skip(
                f"SKIPPED, NOT TESTED: the guide shows the SQL of the pinned {package} "
                f"{pinned(package, requirements)}, and this is {installed}"
            )


@pytest.mark.parametrize(
    "backend", ["sqlite", "postgresql", pytest.param("mariadb", marks=needs_mysqlclient)]
)
@pytest.mark.usefixtures("pinned_versions")
def test_every_sql_block_is_what_the_orms_send_today(backend):
    text = GUIDE.read_text(encoding="utf-8")

    fresh = rewritten(text, capture(database_url(backend)))

    diff = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            fresh.splitlines(keepends=True),
            "docs/contrast.md",
            f"captured now on {backend}",
        )
    )
    assert not diff, f"the guide's SQL is not what runs today (make contrast-sql):\n{diff}"


def test_every_capture_is_in_the_guide_with_the_code_that_sent_it():
    shown = marked_blocks(GUIDE.read_text(encoding="utf-8"))

    # Nothing captured is left out, and no block names a capture that does not exist.
    assert sorted(shown) == sorted(markers())
    # Each side's code for each query is shown at least once, above one of its blocks.
    with_code = {tuple(marker.split("/")[::2]) for marker, (code, _) in shown.items() if code}
    for step in STEPS:
        for side in step.code if step.name else ():
            assert (side, step.name) in with_code, f"no code shown for {side}/{step.name}"
    assert {marker.split("/")[0] for marker in shown} == set(SIDES)
