"""Replays the ```pycon blocks of a Markdown file as one shell session, checking every output, so
the docs cannot drift from the code (doctest does the comparing)."""

import doctest
import re

PYCON_BLOCK = re.compile(r"^```pycon\n(.*?)^```", re.MULTILINE | re.DOTALL)


def pycon_blocks(path):
    """[(line number, block text)] for each ```pycon block; lines before its first `>>>` (such as
    `$ python manage.py shell_plus`) are prose to doctest."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in PYCON_BLOCK.finditer(text)]


def replay(path, names):
    """Run every block in order in one namespace (`names`: what the shell pre-imports).
    Returns (examples run, failure report); the report is empty when every output matched.
    `...` in an expected output stands for anything (ids, addresses)."""
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    parser = doctest.DocTestParser()
    attempted, report = 0, []
    for line, block in pycon_blocks(path):
        # Line numbers in the report are the Markdown file's own.
        test = parser.get_doctest(block, names, f"{path.name}:{line}", str(path), line - 1)
        attempted += runner.run(test, out=report.append, clear_globs=False).attempted
        names = test.globs  # DocTest ran on a copy: carry its names on to the next block
    return attempted, "".join(report)
