"""One script of steps, run against Django's admin and against the Flask twin's Flask-Admin as its
docs show it and hardened (contrast/flask_app_2024/admin/): each step's outcome on each side, in a
short phrase, is the table of docs/admin-contrast.md. A page that disagrees with this run fails;
`make admin-contrast` writes the run into the page instead."""

import csv
import html
import io
import os
import re
import signal
import socket
import subprocess
import urllib.request
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from blog.models import Post
from contrast.admin_contrast import PAGE, rewritten
from contrast.flask_app_2024 import db
from contrast.flask_app_2024 import models as flask_models
from contrast.flask_app_2024.admin import documented, hardened
from contrast.flask_app_2024.admin.models import Staff
from tests.child_process import PROJECT_ROOT, child_environment
from tests.flask_twin import flask, sqlalchemy_url
from tests.spreadsheet_files import TASKS_RUN_AT_ONCE, confirm, csv_file, upload

# Flask-Admin 2.2.1's select fields yield plain tuples, which WTForms 3.3 deprecates: its code,
# not ours, and only a warning outside the tests.
pytestmark = pytest.mark.filterwarnings("ignore:Yielding raw tuples:DeprecationWarning")

PASSWORD = "a long password 1"
# Every side starts from the same users and posts: mary (staff, every permission) and lucy.
POSTS = [
    ("mary", "coffee at noon", datetime(2026, 1, 10, 12, tzinfo=UTC)),
    ("mary", "tea at five", datetime(2026, 2, 10, 17, tzinfo=UTC)),
    ("mary", "=1+1 coffee", datetime(2026, 3, 10, 9, tzinfo=UTC)),
    ("lucy", "coffee too", datetime(2026, 1, 20, 8, tzinfo=UTC)),
    # Enough for a full list page of 20.
    *[("lucy", f"older post {n}", datetime(2025, 6, n + 1, tzinfo=UTC)) for n in range(21)],
]
JANUARY = ("2026-01-01", "2026-01-31")
TWIN_ADMINS = [documented, hardened]
TOO_LONG = "x" * 141


class Page:
    """What a step looks at in an answer: its status, where it redirects, its text."""

    def __init__(self, status, location, text):
        self.status, self.location, self.text = status, location or "", text

    def errors(self):
        """The messages of a refused form or action, as the page shows them."""
        items = re.findall(
            r'<ul class="(?:errorlist|form-text text-danger)[^"]*"[^>]*>\s*<li>(.*?)</li>',
            self.text,
            re.DOTALL,
        )
        alerts = re.findall(
            r'class="(?:errornote|alert alert-danger[^"]*)"[^>]*>(.*?)</(?:p|div)>'
            r"|<h1>Forbidden <span>\(403\)</span></h1>\s*<p>(.*?)</p>",
            self.text,
            re.DOTALL,
        )
        alerts = ["".join(groups) for groups in alerts]
        texts = [re.sub(r"<[^>]+>|×", "", html.unescape(e)).strip() for e in items + alerts]
        return [" ".join(text.split()) for text in texts if text]


def token_in(text, name):
    found = re.search(rf'name="{name}"[^>]*value="([^"]+)"', text) or re.search(
        rf'value="([^"]+)"[^>]*name="{name}"', text
    )
    return found[1] if found else None


class DjangoSide:
    """Django's admin (accounts/admin.py, blog/admin.py, spreadsheets/admin.py), on the test
    database; each side offers the same methods, which run_steps() calls."""

    name = "Django admin"
    token_name = "csrfmiddlewaretoken"

    def __init__(self):
        # As a browser: the CSRF check on (Django's test client skips it otherwise).
        self.client = Client(enforce_csrf_checks=True)
        self.ids = {}
        for username in ("mary", "lucy"):
            user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
            self.ids[username] = user.pk
        User.objects.filter(username="mary").update(is_staff=True, is_superuser=True)
        Post.objects.bulk_create(
            Post(author_id=self.ids[author], body=body, timestamp=moment)
            for author, body, moment in POSTS
        )

    def new_client(self):
        return Client(enforce_csrf_checks=True)

    def answer(self, response):
        text = "" if response.streaming else response.content.decode()
        return Page(response.status_code, response.get("Location"), text)

    def get(self, url, params=None, client=None):
        return self.answer((client or self.client).get(url, params or {}))

    def post(self, url, data, with_token=True):
        if with_token:
            data = {**data, self.token_name: token_in(self.get(url).text, self.token_name)}
        return self.answer(self.client.post(url, data))

    post_list = reverse("admin:blog_post_changelist")

    def log_in(self, username, client=None):
        url = reverse("admin:login")
        client = client or self.client
        page = client.get(url)
        data = {"username": username, "password": PASSWORD, "next": self.post_list}
        data[self.token_name] = token_in(page.content.decode(), self.token_name)
        return self.answer(client.post(url, data)).location == self.post_list

    def staff_without_permission(self):
        User.objects.create_user("otto", "otto@example.com", PASSWORD, is_staff=True)
        client = self.new_client()
        self.log_in("otto", client)
        return self.get(self.post_list, client=client)

    def add_user(self, username):
        data = {
            "username": username,
            "email": f"{username}@example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        }
        return self.post(reverse("admin:accounts_user_add"), data)

    def stored_password(self, username):
        return User.objects.filter(username=username).values_list("password", flat=True).first()

    def users_named(self, username):
        return User.objects.filter(username__iexact=username).count()

    def add_post(self, body, with_token=True):
        data = {
            "author": self.ids["mary"],
            "body": body,
            "timestamp_0": "2026-04-01",
            "timestamp_1": "10:00:00",
        }
        return self.post(reverse("admin:blog_post_add"), data, with_token)

    def post_exists(self, body):
        return Post.objects.filter(body=body).exists()

    def author_field(self):
        page = self.get(reverse("admin:blog_post_add"))
        return author_field_in(page.text)

    def listed(self, page):
        return re.findall(r'<th class="field-body"><a [^>]*>(.*?)</a>', page.text)

    def search(self, term):
        page = self.get(self.post_list, {"q": term})
        return self.listed(page) if 'name="q"' in page.text else None

    def by_author(self, username):
        return f"@{username}"

    def filtered(self, username, start, end):
        by_author = {"author__id__exact": self.ids[username]}
        by_date = {"timestamp__range__gte": start, "timestamp__range__lte": end}
        return self.listed(self.get(self.post_list, {**by_author, **by_date}))

    def edit_user_email(self, username, email):
        user = User.objects.get(username=username)
        url = reverse("admin:accounts_user_change", args=[user.pk])
        data = {
            "username": user.username,
            "email": email,
            "is_active": "on",
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "posts-TOTAL_FORMS": 0,
            "posts-INITIAL_FORMS": 0,
        }
        page = self.post(url, data)
        return page, User.objects.get(pk=user.pk).email

    def delete_user(self, username):
        url = reverse("admin:accounts_user_delete", args=[self.ids[username]])
        asked = self.get(url)
        return asked, self.post(url, {"post": "yes"})

    def posts_of(self, username):
        return Post.objects.filter(author_id=self.ids[username]).count()

    def post_total(self):
        return Post.objects.count()

    def history(self, username):
        url = reverse("admin:accounts_user_history", args=[self.ids[username]])
        return self.get(url)

    def export(self, term):
        url = reverse("admin:blog_post_export", args=["csv"])
        response = self.client.get(url, {"q": term})
        return b"".join(response.streaming_content).decode()

    def import_posts(self, rows):
        # The admin's import checks the file, shows it, and writes it when confirmed. Through
        # the import tests' helpers, which upload without a CSRF token: a client that skips it.
        user = User.objects.get(username="mary")
        client = Client()
        client.force_login(user)
        job = confirm(client, upload(client, "post", csv_file(rows)))
        return job.state == job.State.DONE

    def list_queries(self):
        with CaptureQueriesContext(connection) as queries:
            page = self.get(self.post_list)
        assert page.status == 200
        return len(queries), page


def author_field_in(text):
    """How the post form asks for the author: a <select> of every user, or a search box."""
    select = re.search(r'<select[^>]*name="author"[^>]*>(.*?)</select>', text, re.DOTALL)
    if select is None or "autocomplete" in select[0] or "data-url" in select[0]:
        return "a search box"
    return f"a `<select>` of every user ({select[1].count('<option')} options)"


class FlaskSide:
    """The twin's Flask-Admin, as its docs show it (`module` documented) or hardened, on
    `database`: a SQLite file, or a SQLAlchemy URL."""

    token_name = "csrf_token"
    post_list = "/admin/post/"
    user_list = "/admin/user/"

    def __init__(self, module, database):
        self.module = module
        self.name = {documented: "Flask-Admin as documented", hardened: "Flask-Admin hardened"}[
            module
        ]
        twin = "flask_app_2024" if module is documented else "flask_app_2024.admin.hardened"
        result = flask("db", "upgrade", database=database, twin=twin)
        assert result.returncode == 0, result.stderr
        base = documented.DocumentedConfig if module is documented else hardened.HardenedConfig

        class Config(base):
            SQLALCHEMY_DATABASE_URI = sqlalchemy_url(database)
            # A failure reaches the step (which names it) instead of becoming a bare 500.
            PROPAGATE_EXCEPTIONS = True

        self.app = module.create_app(Config)
        self.client = self.app.test_client()
        self.ids = {}
        with self.app.app_context():
            for username in ("mary", "lucy"):
                user = flask_models.User(username=username, email=f"{username}@example.com")
                user.set_password(PASSWORD)
                db.session.add(user)
                db.session.flush()
                self.ids[username] = user.id
            if module is hardened:
                db.session.add(
                    Staff(user_id=self.ids["mary"], manages_users=True, manages_posts=True)
                )
            for author, body, moment in POSTS:
                db.session.add(
                    flask_models.Post(user_id=self.ids[author], body=body, timestamp=moment)
                )
            db.session.commit()

    def query(self, statement):
        with self.app.app_context():
            return db.session.execute(statement).all()

    def new_client(self):
        return self.app.test_client()

    def answer(self, response):
        try:
            text = response.get_data(as_text=True)
        except Exception as error:  # a streamed export fails while it is read
            text = f"{type(error).__name__}: {error}"
        return Page(response.status_code, response.headers.get("Location"), text)

    def get(self, url, params=None, client=None):
        try:
            # Only with params: an empty query_string would drop the one in `url`.
            options = {"query_string": params} if params else {}
            return self.answer((client or self.client).get(url, **options))
        except Exception as error:
            return Page(500, "", f"{type(error).__name__}: {error}")

    def post(self, url, data, with_token=True, form_url=None):
        if with_token:
            token = token_in(self.get(form_url or url).text, self.token_name)
            data = {**data, **({self.token_name: token} if token else {})}
        try:
            return self.answer(self.client.post(url, data=data))
        except Exception as error:
            return Page(500, "", f"{type(error).__name__}: {error}")

    @property
    def has_login(self):
        return self.module is hardened

    def log_in(self, username, client=None):
        if not self.has_login:
            return None
        client = client or self.client
        page = client.get("/admin/login/")
        data = {"username": username, "password": PASSWORD}
        data[self.token_name] = token_in(page.get_data(as_text=True), self.token_name)
        response = client.post(f"/admin/login/?next={self.post_list}", data=data)
        return response.headers.get("Location") == self.post_list

    def staff_without_permission(self):
        if not self.has_login:
            return None
        with self.app.app_context():
            otto = flask_models.User(username="otto", email="otto@example.com")
            otto.set_password(PASSWORD)
            db.session.add(otto)
            db.session.flush()
            db.session.add(Staff(user_id=otto.id, manages_users=True))
            db.session.commit()
        client = self.new_client()
        self.log_in("otto", client)
        return self.get(self.post_list, client=client)

    def add_user(self, username):
        data = {"username": username, "email": f"{username}@example.com"}
        # As documented, the form's `Password Hash` box stores what is typed.
        data["password" if self.module is hardened else "password_hash"] = PASSWORD
        return self.post("/admin/user/new/", data)

    def stored_password(self, username):
        rows = self.query(
            sa.select(flask_models.User.password_hash).where(flask_models.User.username == username)
        )
        return rows[0][0] if rows else None

    def users_named(self, username):
        lower = sa.func.lower(flask_models.User.username)
        return len(self.query(sa.select(flask_models.User.id).where(lower == username.lower())))

    def add_post(self, body, with_token=True):
        data = {"author": self.ids["mary"], "body": body, "timestamp": "2026-04-01 10:00:00"}
        return self.post("/admin/post/new/", data, with_token)

    def post_exists(self, body):
        return bool(
            self.query(sa.select(flask_models.Post.id).where(flask_models.Post.body == body))
        )

    def author_field(self):
        return author_field_in(self.get("/admin/post/new/").text)

    def listed(self, page):
        return re.findall(r'<td class="col-body">\s*(.*?)\s*</td>', page.text, re.DOTALL)

    def search(self, term):
        page = self.get(self.post_list, {"search": term})
        return self.listed(page) if 'name="search"' in page.text else None

    def by_author(self, username):
        return username

    def filtered(self, username, start, end):
        if self.module is documented:
            return None
        params = {
            "flt0_author_equals": username,
            "flt1_timestamp_between": f"{start} 00:00:00 to {end} 23:59:59",
        }
        return self.listed(self.get(self.post_list, params))

    def edit_user_email(self, username, email):
        url = f"/admin/user/edit/?id={self.ids[username]}"
        page = self.get(url)
        if page.status == 200:
            page = self.post(url, {"username": username, "email": email})
        rows = self.query(
            sa.select(flask_models.User.email).where(flask_models.User.id == self.ids[username])
        )
        return page, rows[0][0]

    def delete_user(self, username):
        user_id = self.ids[username]
        asked = (
            self.get("/admin/user/delete/", {"id": user_id}) if self.module is hardened else None
        )
        data = {"id": user_id, "url": self.user_list}
        form_url = f"/admin/user/delete/?id={user_id}" if asked else self.user_list
        page = self.post("/admin/user/delete/", data, form_url=form_url)
        # The outcome is flashed on the page the delete redirects to.
        return asked, self.get(page.location) if page.status == 302 else page

    def posts_of(self, username):
        post = flask_models.Post
        return len(self.query(sa.select(post.id).where(post.user_id == self.ids[username])))

    def post_total(self):
        return len(self.query(sa.select(flask_models.Post.id)))

    def history(self, username):
        return None  # Flask-Admin keeps none

    def export(self, term):
        page = self.get("/admin/post/export/csv/", {"search": term})
        return None if page.status == 302 else page.text

    def import_posts(self, rows):
        return None  # Flask-Admin has no import

    def list_queries(self):
        queries = []
        with self.app.app_context():
            engine = db.engine

        def count(*args):
            queries.append(args)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            page = self.get(self.post_list)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert page.status == 200, page.text[:500]
        return len(queries), page


def refused_or_stored(page, stored, what):
    if stored:
        return f"stored: {what}"
    if page.status == 500:
        return f"fails: {page.text.split(':')[0]}"
    errors = page.errors()
    return f"refused: “{errors[0]}”" if errors else f"refused ({page.status}), no message"


def posts_listed_on(page):
    """How many posts a delete page says go with the user (Django: "Posts: 3")."""
    text = re.sub(r"<[^>]+>", "", page.text)
    found = re.search(r"Posts: (\d+)|(\d+) posts?\b", text)
    return found and int(found[1] or found[2])


def export_phrase(text, expected_rows):
    if text is None:
        return "none (`can_export` is off)"
    if "Error" in text.split("\n")[0]:
        return f"fails part-way: {text.split(':')[0]}"
    rows = list(csv.reader(io.StringIO(text)))[1:]
    formulas = [cell for row in rows for cell in row if cell.startswith("=")]
    escaped = "`=1+1` left a formula" if formulas else "`=1+1` escaped"
    return f"{len(rows)} rows of {expected_rows}, {escaped}"


def run_steps(side):
    """Every step on one side, in order; {step: outcome}."""
    outcomes = {}

    page = side.get(side.post_list, client=side.new_client())
    if page.status == 200:
        outcomes["a visit while logged out"] = "the post list, to anyone"
    elif page.status == 302 and "login" in page.location:
        outcomes["a visit while logged out"] = "sent to the login page"
    else:
        outcomes["a visit while logged out"] = f"{page.status}"

    logged_in = side.log_in("mary")
    outcomes["log in"] = {
        None: "nothing to log in to",
        True: "a staff login, then the admin",
        False: "login failed",
    }[logged_in]

    page = side.staff_without_permission()
    if page is None:
        outcomes["a staff user without permission"] = "no staff, no permissions: all may do all"
    else:
        outcomes["a staff user without permission"] = f"{page.status} on the post list"

    page = side.add_user("lucia")
    stored = side.stored_password("lucia")
    if stored is None:
        outcomes["add a user"] = refused_or_stored(page, False, "")
    elif stored == PASSWORD:
        outcomes["add a user"] = "stored, the password as typed"
    else:
        outcomes["add a user"] = "stored, the password hashed"

    page = side.add_post("a new post")
    author = side.author_field()
    added = refused_or_stored(page, side.post_exists("a new post"), f"the author is {author}")
    outcomes["add a post"] = added

    page = side.add_post(TOO_LONG)
    outcomes["a 141-character body"] = refused_or_stored(
        page, side.post_exists(TOO_LONG), "141 characters"
    )

    page = side.add_user("MARY")
    outcomes["a duplicate username in another case"] = refused_or_stored(
        page, side.users_named("mary") > 1, "MARY beside mary"
    )

    by_word = side.search("coffee")
    by_author = side.search(side.by_author("mary"))
    if by_word is None or by_author is None:
        outcomes["search"] = "no search box"
    else:
        outcomes["search"] = (
            f"`coffee`: {len(by_word)} of 3 posts; "
            f"`{side.by_author('mary')}`: {len(by_author)} of {side.posts_of('mary')}"
        )

    found = side.filtered("mary", *JANUARY)
    if found is None:
        outcomes["filter by author and dates"] = "no filters"
    else:
        outcomes["filter by author and dates"] = f"{len(found)} of 1: {', '.join(found)}"

    page, email = side.edit_user_email("lucy", "lucy@example.org")
    if email == "lucy@example.org":
        outcomes["edit a user"] = "saved"
    else:
        outcomes["edit a user"] = refused_or_stored(page, False, "")

    page = side.history("lucy")
    if page is None:
        outcomes["history of changes"] = "none"
    else:
        changed = "Changed Email" in page.text
        outcomes["history of changes"] = "the edit, by whom and when" if changed else "empty"

    outcomes["export the search"] = export_phrase(side.export("coffee"), 3)

    imported = side.import_posts(
        [["author", "body", "timestamp"], ["mary", "imported", "2026-05-01T10:00:00+00:00"]]
    )
    outcomes["import"] = {
        None: "none",
        True: "checked, shown, then written when confirmed",
        False: "failed",
    }[imported]

    page = side.add_post("no token", with_token=False)
    outcomes["a request without CSRF"] = refused_or_stored(
        page, side.post_exists("no token"), "a post, no questions asked"
    )

    queries, page = side.list_queries()
    rows = len(re.findall(r'name="(?:_selected_action|rowid)"', page.text))
    shown = "with" if re.search(r"<td[^>]*>\s*lucy\s*</td>", page.text) else "without"
    outcomes["the post list's queries"] = (
        f"{queries} for {rows} rows of {side.post_total()}, {shown} the author's name"
    )

    posts = side.posts_of("lucy")
    asked, page = side.delete_user("lucy")
    said = asked and posts_listed_on(asked)
    asked_phrase = f"asks first, listing {said} posts" if said else "no page says what goes"
    if side.stored_password("lucy") is None and side.posts_of("lucy") == 0:
        outcomes["delete a user with posts"] = f"{asked_phrase}; the user and {posts} posts gone"
    else:
        errors = page.errors()
        reason = errors[0] if errors else f"{page.status}"
        if len(reason) > 90:
            reason = reason[:90].rsplit(" ", 1)[0] + " …"
        outcomes["delete a user with posts"] = f"fails: “{reason}”"
    return outcomes


@pytest.fixture
def outcomes(db, settings, tmp_path):
    """Every step on every side: {side: {step: outcome}}."""
    settings.TASKS = TASKS_RUN_AT_ONCE
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "imports")
    sides = [DjangoSide(), *(FlaskSide(m, tmp_path / f"{m.__name__}.db") for m in TWIN_ADMINS)]
    return {side.name: run_steps(side) for side in sides}


# One test, as the steps take a few seconds per side.
def test_each_admin_does_what_the_page_says(outcomes):
    page = PAGE.read_text(encoding="utf-8")
    expected = rewritten(page, outcomes)
    if os.environ.get("ADMIN_CONTRAST_WRITE"):  # make admin-contrast
        PAGE.write_text(expected, encoding="utf-8")
        page = expected

    # The page shows the SQLite run (make admin-contrast); on a server Django's post list runs
    # another query or two, so there only the claims below are checked.
    if connection.vendor == "sqlite":
        assert page == expected, (
            "docs/admin-contrast.md disagrees with this run: make admin-contrast"
        )
    # And what the page says is what the hardened twin is for: no step fails, and it refuses
    # what Django's admin refuses, where Flask-Admin as documented stores it.
    django, documented_twin = outcomes["Django admin"], outcomes["Flask-Admin as documented"]
    hardened_twin = outcomes["Flask-Admin hardened"]
    assert not [outcome for outcome in hardened_twin.values() if outcome.startswith("fails")]
    for step in ("a duplicate username in another case", "a request without CSRF"):
        assert django[step].startswith("refused")
        assert hardened_twin[step].startswith("refused")
        assert documented_twin[step].startswith("stored")


def test_the_staff_table_comes_after_the_chapters_two_revisions(tmp_path):
    database = tmp_path / "admin.db"
    twin = "flask_app_2024.admin.hardened"

    upgraded = flask("db", "upgrade", database=database, twin=twin)
    down = flask("db", "downgrade", database=database, twin=twin)

    assert upgraded.returncode == 0, upgraded.stderr
    assert "66c2c8df236d -> 3d2622719204, staff table" in upgraded.stderr
    # One step back leaves the chapter's tables as the twin's own `flask db upgrade` makes them.
    assert down.returncode == 0, down.stderr
    assert "3d2622719204 -> 66c2c8df236d" in down.stderr


def test_the_first_admin_is_printed_once_and_a_login_goes_nowhere_off_site(tmp_path):
    side = FlaskSide(hardened, tmp_path / "admin.db")
    cli = side.app.test_cli_runner()

    first, second = cli.invoke(args=["first-admin"]), cli.invoke(args=["first-admin"])

    # mary is staff already: the command names her and makes no one.
    assert (
        first.output
        == second.output
        == ("Flask-Admin: http://127.0.0.1:5000/admin/ — log in as 'mary'\n")
    )
    page = side.client.get("/admin/login/")
    token = token_in(page.get_data(as_text=True), "csrf_token")
    data = {"username": "mary", "password": PASSWORD, "csrf_token": token}
    answer = side.client.post("/admin/login/?next=https://elsewhere.example/", data=data)
    assert answer.headers["Location"] == "/admin/"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_flask_admin_migrates_prints_a_login_and_serves(tmp_path):
    port = free_port()
    command = [
        "make",
        "-s",
        "-o",
        ".venv/.installed",  # never reinstall the venv from a test
        "flask-admin",
        f"FLASK_DATABASE_URL=sqlite:///{tmp_path / 'admin.db'}",
        f"FLASK_ADMIN_PORT={port}",
    ]
    server = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=child_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: make, flask, and nothing else
    )
    printed = []
    try:
        # Migrates, prints the login, then the server says where it listens.
        while not printed or "Running on" not in printed[-1]:
            line = server.stdout.readline()
            assert line, "".join(printed)  # make stopped early
            printed.append(line)
        login = urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=30)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)

    assert re.search(r"user 'admin', password '\S+' \(shown once\)", "".join(printed))
    assert login.status == 200
