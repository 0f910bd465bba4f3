"""Debian's Chromium, as the browser tests and scripts/admin_screenshot.py launch it."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# No GPU, no sandbox (we run as root in a container), and no calls home: there is no network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
