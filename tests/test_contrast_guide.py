"""docs/contrast.md cannot rot: its Django sessions are replayed and its code quotes checked."""

import re
from pathlib import Path

import pytest

from accounts.models import User
from blog.models import Post
from tests.pycon import replay

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "contrast.md"
# A ```python block whose first line is `# some/file.py` quotes that file.
QUOTE = re.compile(r"^```python\n# (\S+\.py)\n(.*?)^```", re.MULTILINE | re.DOTALL)


# A fresh database, as in a new shell: the guide shows ids 1 and 2.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_django_session_in_the_guide_gives_the_output_shown():
    # What shell_plus imports by itself; every other name the guide imports in its blocks.
    attempted, failures = replay(GUIDE, {"User": User, "Post": Post})

    assert not failures, failures
    assert attempted >= 40  # every block ran, not only the first


def test_every_quoted_file_excerpt_is_verbatim():
    quotes = QUOTE.findall(GUIDE.read_text(encoding="utf-8"))
    assert {path for path, _ in quotes} >= {
        "contrast/flask_app/models.py",
        "contrast/flask_app/config.py",
        "accounts/models.py",
        "blog/models.py",
    }
    for path, quote in quotes:
        source = (ROOT / path).read_text(encoding="utf-8").splitlines()
        position = 0
        # Each quoted line appears in the file, in the same order; `...` skips lines.
        for line in quote.splitlines():
            if line.strip() in {"", "..."}:
                continue
            assert line in source[position:], f"docs/contrast.md quotes {path} wrongly: {line!r}"
            position = source.index(line, position) + 1
