"""The admin contrast's visible steps in Chromium (Playwright), on each admin served for real:
the post list searched, the user form given a username taken in another case, and a user's posts,
as an editor sees them (docs/admin-contrast.md). `make admin-contrast` keeps the pictures in
docs/admin-contrast/; other runs take them into a temporary folder.

Needs Debian's `chromium` (`make browser`): skipped loudly without it, failed under CI=true.
"""

import os
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from contrast.admin_contrast import PAGE, SCREENSHOTS
from contrast.flask_app_2024.admin import documented, hardened
from tests.test_admin_contrast import PASSWORD, DjangoSide, FlaskSide

# The browser tests' fixtures: the system's Chromium, database calls beside Playwright's loop,
# pages relative to Django's live server, and no Content-Security-Policy violation.
from tests.test_browser_admin import (  # noqa: F401
    allow_database_calls_beside_playwright,
    base_url,
    browser_type_launch_args,
    csp_violations,
    no_csp_violations,
)

# The live server runs in another thread with its own connection: it sees only committed rows.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Yielding raw tuples:DeprecationWarning"),
]


@pytest.fixture
def pictures(tmp_path):
    """Where the screenshots go: docs/admin-contrast/ for make admin-contrast, else tmp_path."""
    if os.environ.get("ADMIN_CONTRAST_WRITE"):
        SCREENSHOTS.mkdir(exist_ok=True)
        return SCREENSHOTS
    return tmp_path


def serve(app):
    """The Flask app on a free port, in a thread; returns its URL and how to stop it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server.shutdown


def log_in(page, url, username):
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username" if page.locator("#id_username").count() else "#username", username)
    page.fill("#id_password" if page.locator("#id_password").count() else "#password", PASSWORD)
    page.locator("form [type=submit]").click()


def test_django_admin(page, live_server, pictures):
    side = DjangoSide()
    log_in(page, live_server.url, "mary")

    page.goto(f"{live_server.url}/admin/blog/post/?q=coffee")
    expect(page.locator("#result_list")).to_contain_text("coffee at noon")
    page.screenshot(path=pictures / "django-search.png")

    page.goto(f"{live_server.url}/admin/accounts/user/add/")
    page.fill("#id_username", "MARY")
    page.fill("#id_email", "big.mary@example.com")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text("already exists")
    page.screenshot(path=pictures / "django-duplicate-username.png")

    page.goto(f"{live_server.url}/admin/accounts/user/{side.ids['mary']}/change/")
    expect(page.locator("#posts-group")).to_contain_text("tea at five")
    page.locator("#posts-group").scroll_into_view_if_needed()
    page.screenshot(path=pictures / "django-user-posts.png")


@pytest.fixture
def flask_side(request, tmp_path):
    side = FlaskSide(request.param, tmp_path / "admin.db")
    # Served as `make flask-admin` serves it: a failure is a 500 page, not an exception.
    side.app.config["PROPAGATE_EXCEPTIONS"] = False
    url, stop = serve(side.app)
    yield side, url
    stop()


@pytest.mark.parametrize("flask_side", [hardened], indirect=True)
def test_flask_admin_hardened(page, flask_side, pictures):
    side, url = flask_side
    log_in(page, url, "mary")

    page.goto(f"{url}/admin/post/?search=coffee")
    expect(page.locator("table.model-list")).to_contain_text("coffee at noon")
    page.screenshot(path=pictures / "flask-hardened-search.png")

    page.goto(f"{url}/admin/user/new/")
    page.fill("#username", "MARY")
    page.fill("#email", "big.mary@example.com")
    page.fill("#password", PASSWORD)
    page.locator("form.admin-form [type=submit][value=Save]").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("already exists")
    page.screenshot(path=pictures / "flask-hardened-duplicate-username.png")

    page.goto(f"{url}/admin/user/")
    page.click("text=posts by mary")
    expect(page.locator("table.model-list")).to_contain_text("tea at five")
    page.screenshot(path=pictures / "flask-hardened-user-posts.png")


@pytest.mark.parametrize("flask_side", [documented], indirect=True)
def test_flask_admin_as_documented(page, flask_side, pictures):
    side, url = flask_side

    # No login, and no search box: the list as anyone sees it.
    page.goto(f"{url}/admin/post/")
    expect(page.locator("table.model-list")).to_contain_text("coffee at noon")
    page.screenshot(path=pictures / "flask-documented-list.png")

    page.goto(f"{url}/admin/user/new/")
    page.fill("#username", "MARY")
    page.fill("#email", "big.mary@example.com")
    page.fill("#password_hash", PASSWORD)
    page.locator("form.admin-form [type=submit][value=Save]").click()
    expect(page.locator("table.model-list")).to_contain_text("MARY")
    page.screenshot(path=pictures / "flask-documented-duplicate-username.png")

    # A user's page fails on the write-only `posts` collection.
    page.goto(f"{url}/admin/user/edit/?id={side.ids['mary']}")
    expect(page.locator("body")).to_contain_text("Internal Server Error")
    page.screenshot(path=pictures / "flask-documented-user-posts.png")


def test_the_page_shows_every_screenshot():
    text = PAGE.read_text(encoding="utf-8")
    for side in ("django", "flask-hardened", "flask-documented"):
        for shot in ("search", "list", "duplicate-username", "user-posts"):
            name = f"{side}-{shot}.png"
            if (SCREENSHOTS / name).exists():
                assert f"admin-contrast/{name}" in text, f"docs/admin-contrast.md lacks {name}"
    assert len(list(SCREENSHOTS.glob("*.png"))) == 9
