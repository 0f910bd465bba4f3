"""The admin in a real browser: headless Chromium, driven by Playwright, against a live server.

Needs Debian's `chromium` package (`make browser` installs it). Without it these tests are skipped
with a loud message, except under CI=true, where they fail. A failing test leaves a screenshot in
test-results/.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from blog.models import Post
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD, PostFactory, UserFactory
from tests.spreadsheet_files import TASKS_RUN_AT_ONCE

# The live server runs in another thread with its own connection: it sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system's Chromium."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (install it with `make browser`)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}, but CI must run the browser tests", pytrace=False)
        pytest.skip(f"SKIPPED, NOT TESTED: {message}")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session", autouse=True)
def allow_database_calls_beside_playwright():
    # Playwright's synchronous API keeps an asyncio loop running on the main thread from its start
    # to the end of the session, and Django refuses database calls from a thread with a running
    # loop. Our code is all synchronous, so tell Django that it is safe, for the rest of the run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def base_url(live_server):
    """Pages open relative to the live server: `page.goto("/admin/")`. (This also replaces
    pytest-playwright's own fallback fixture, which pytest 9.2 deprecates.)"""
    return live_server.url


# Reported by the page itself, so that a violation is seen whatever the console's wording.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@pytest.fixture
def csp_violations(page):
    """Every Content-Security-Policy violation on the page, as the browser reports them."""
    seen = []
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if "CSP violation" in message.text or "Content Security Policy" in message.text
            else None
        ),
    )
    return seen


@pytest.fixture(autouse=True)
def no_csp_violations(request):
    """Each browser test fails if the site's Content-Security-Policy blocked anything: the
    policy (settings.py) must let every page of ours work, and nothing else."""
    if "page" not in request.fixturenames:
        yield
        return
    seen = request.getfixturevalue("csp_violations")
    yield
    expected = request.node.get_closest_marker("expects_csp_violation") is not None
    assert bool(seen) == expected, seen


@pytest.fixture
def admin_page(page):
    """A browser page logged in to the admin as a superuser, through the login form."""
    UserFactory(username="editor", is_staff=True, is_superuser=True)
    page.goto("/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("editor")
    return page


def choose_author(page, username):
    # The author box is a select2 search box (autocomplete_fields): type, then pick the match.
    page.click(".field-author .select2-selection")
    page.fill(".select2-search__field", username)
    page.click(f".select2-results__option >> text={username}")


def test_admin_adds_a_user_and_a_post_and_the_public_page_shows_them(admin_page):
    page = admin_page
    page.goto("/admin/accounts/user/add/")
    page.fill("#id_username", "mary")
    page.fill("#id_email", "mary@mail.com")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("“mary” was added successfully")

    page.goto("/admin/blog/post/add/")
    choose_author(page, "mary")
    page.fill("#id_body", "This is my first post with Microblog!")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto("/")
    expect(page.locator("article")).to_contain_text("This is my first post with Microblog!")
    expect(page.locator("article .meta")).to_contain_text("mary")


def test_a_141_character_body_is_refused_with_the_reason(admin_page):
    UserFactory(username="mary")
    page = admin_page
    page.goto("/admin/blog/post/add/")
    body = page.locator("#id_body")

    # The browser itself stops typing at 140 characters (the field's maxlength)...
    body.fill("x" * 141)
    expect(body).to_have_value("x" * 140)

    # ...and a request that gets past the browser is refused by the server, with the reason.
    body.evaluate("input => input.removeAttribute('maxlength')")
    body.fill("x" * 141)
    choose_author(page, "mary")
    page.click("input[name=_save]")

    expect(page.locator(".field-body .errorlist")).to_have_text(
        "Ensure this value has at most 140 characters (it has 141)."
    )
    assert Post.objects.count() == 0


def test_admin_searches_posts_and_deletes_one(admin_page):
    PostFactory(body="about django")
    PostFactory(body="about flask")
    page = admin_page
    page.goto("/admin/blog/post/")

    page.fill("#searchbar", "django")
    page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("about django")

    rows.locator("a", has_text="about django").click()
    page.click("a.deletelink")
    page.click("input[type=submit]")  # "Yes, I'm sure"
    expect(page.locator(".messagelist")).to_contain_text("was deleted successfully")

    page.goto("/")
    expect(page.locator("body")).not_to_contain_text("about django")
    expect(page.locator("article")).to_contain_text("about flask")
    assert list(Post.objects.values_list("body", flat=True)) == ["about flask"]


def test_the_public_page_and_an_error_page_keep_their_style_under_the_policy(page):
    PostFactory(body="styled")
    page.goto("/")
    # The inline style carries the response's nonce; without it the body would be unstyled.
    assert page.locator("body").evaluate("b => getComputedStyle(b).maxWidth") != "none"
    page.goto("/no-such-page/")
    assert page.locator("body").evaluate("b => getComputedStyle(b).maxWidth") != "none"


def test_the_date_range_filter_and_the_author_search_work_under_the_policy(admin_page):
    # The date range filter's inline script carries the nonce; it loads the calendar widgets,
    # which add their shortcut links ("Today", the calendar) beside each date box.
    UserFactory(username="mary")
    page = admin_page
    page.goto("/admin/blog/post/")
    expect(page.locator(".datetimeshortcuts")).not_to_have_count(0)
    page.goto("/admin/blog/post/add/")
    choose_author(page, "mary")
    expect(page.locator(".field-author .select2-selection")).to_contain_text("mary")


@pytest.mark.expects_csp_violation
def test_an_injected_script_does_not_run(page, csp_violations):
    page.goto("/")
    ran = page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
          return window.injected === true;
        }"""
    )
    assert not ran
    assert any("script-src" in text for text in csp_violations)


def test_an_editor_imports_a_file_fixes_its_bad_row_and_exports_the_filtered_list(
    admin_page, settings, tmp_path
):
    # The worker's tasks run at once, inside the live server (the database worker is tested in
    # tests/test_spreadsheet_worker.py).
    settings.TASKS = TASKS_RUN_AT_ONCE
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "imports")
    UserFactory(username="mary")
    page = admin_page
    rows = [
        "author,body,timestamp",
        "mary,coffee in the morning,2026-11-30T08:00:00Z",
        "nobody,coffee at noon,2026-11-30T12:00:00Z",
        "mary,tea in the evening,2026-11-30T19:00:00Z",
    ]
    posts_csv = tmp_path / "posts.csv"
    posts_csv.write_text("\n".join(rows) + "\n")

    # A file with one bad row: the page names it and why, and nothing is written.
    page.goto("/admin/blog/post/")
    page.click("text=Import from a file")
    page.set_input_files("#id_file", str(posts_csv))
    page.click("input[value='Check the file']")
    expect(page.locator(".errornote")).to_contain_text("Nothing was written. 1 problem found")
    expect(page.locator("#import-problems tbody")).to_have_text(
        "row 3author 'nobody' is not a user here"
    )
    assert Post.objects.count() == 0

    # Fixed, it shows each row's outcome, and writes them once confirmed.
    posts_csv.write_text("\n".join(rows).replace("nobody", "mary") + "\n")
    page.goto("/admin/blog/post/import/")
    page.set_input_files("#id_file", str(posts_csv))
    page.click("input[value='Check the file']")
    expect(page.locator("#import-counts")).to_contain_text("3 new, 0 updated, 0 unchanged")
    page.click("input[value='Confirm: write these rows']")
    expect(page.locator("#import-state")).to_contain_text("done: written")
    assert Post.objects.count() == 3

    # The list searched for "coffee", exported: the file holds what the list shows.
    page.goto("/admin/blog/post/")
    page.fill("#searchbar", "coffee")
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    with page.expect_download() as download:
        page.click("text=Export CSV")
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",", 1)[1] for line in exported] == [
        "author,body,timestamp",
        "mary,coffee at noon,2026-11-30T12:00:00+00:00",
        "mary,coffee in the morning,2026-11-30T08:00:00+00:00",
    ]
