"""Photograph the admin's post list as an editor sees it (make screenshot):

    DATABASE_URL=postgres://... python scripts/admin_screenshot.py docs/admin-post-list-1m.png

Serves the app from DATABASE_URL (already migrated and filled, e.g. by seed_demo or
`make bench`) with runserver on a free loopback port, logs in through the admin's own form in
headless Chromium as a throwaway superuser, and saves a full-page screenshot of the post list.
The superuser is deleted afterwards; nothing else is written.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 (after the path is set)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, **kwargs)


def main(output: str) -> None:
    from playwright.sync_api import sync_playwright

    username, password = f"screenshot_{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    env = {**os.environ, "DJANGO_SUPERUSER_PASSWORD": password}
    manage(
        "createsuperuser",
        "--noinput",
        "--username",
        username,
        "--email",
        f"{username}@example.com",
        env=env,
    )
    port = free_port()
    # DEBUG on, so that runserver serves the admin's CSS and JavaScript itself.
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):  # up to 10 s for the server to listen
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/admin/login/?next=/admin/blog/post/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("input[type=submit]")
            page.wait_for_selector("#result_list")
            page.screenshot(path=output)
            browser.close()
    finally:
        server.terminate()
        server.wait()
        manage(
            "shell",
            "-c",
            f"from accounts.models import User; User.objects.get(username={username!r}).delete()",
            "-v0",
        )
    print(f"saved {output}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/admin-post-list.png")
