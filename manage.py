#!/usr/bin/env python
"""Django's command line: the chapter's `flask db ...` and `flask shell` live here."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
    from django.core.management import execute_from_command_line

    from microblog.command_line_errors import one_line_errors

    with one_line_errors(show_traceback="--traceback" in sys.argv):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
