"""Hostile input through both admins (issue 23, part 5): the bad values this project's own
hostile-input tests send (tests/test_fuzz.py, tests/test_hostile_input.py) go into every field of
every add and edit form, and into every list's search, sort, page and filter parameter, of
Django's admin and of the Flask twin's Flask-Admin as documented and hardened, each on the
backend the suite runs on (a Flask-Admin's tables in a scratch database on Django's server). The
5xx answers are counted per side and per kind of input, and the forms saved with such a value; a
refused request must have written nothing. The counts are a block of docs/admin-contrast.md per
backend; `make admin-contrast` writes them."""

import html
import json
import os
import re
from contextlib import ExitStack, contextmanager
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse

from accounts.models import User
from blog.models import Post
from contrast.admin_contrast import (
    BACKEND_LABELS,
    HOSTILE_RESULTS,
    PAGE,
    hostile_counts,
    with_hostile_block,
    write_hostile_results,
)
from contrast.flask_app_2024 import db as flask_db
from contrast.flask_app_2024 import models as flask_models
from contrast.flask_app_2024.admin import documented, hardened
from tests.flask_fixtures import scratch_database_name
from tests.test_admin_contrast import PASSWORD, DjangoSide, FlaskSide, Page, token_in

pytestmark = pytest.mark.filterwarnings("ignore:Yielding raw tuples:DeprecationWarning")

# One value per kind, each one test_fuzz.py sends (its VALUES and @examples).
HOSTILE = {
    "a long string (5,000 characters)": "x" * 5000,
    "a NUL byte": "a\x00b",
    "odd Unicode (Arabic-Indic digits)": "١٢٣",
    "a huge number (20 digits)": "99999999999999999999",
    "a malformed date": "2024-13-45",
}
MISSING_CSRF = "a form without its CSRF token"
KINDS = [*HOSTILE, MISSING_CSRF]

# Django's admin: every list's search, page and sort parameters, the filters its page links to,
# and the post list's filter by author (which a user's page links to).
DJANGO_LIST_ARGS = ["q", "p", "o"]


# Flask-Admin's list reads these from any list's query string (ModelView._get_list_extra_args),
# and each filter its own `flt<n>_<name>`.
FLASK_LIST_ARGS = ["search", "page", "page_size", "sort", "desc"]


class Tally:
    """Each side's requests and 5xx answers per kind, the refused requests that wrote, and
    what raised each 5xx."""

    def __init__(self):
        self.sent = {kind: 0 for kind in KINDS}
        self.failed = {kind: 0 for kind in KINDS}
        self.stored = {kind: 0 for kind in KINDS}
        self.wrote_when_refused = []
        self.raised = set()

    def count(self, kind, where, page, before, after, method):
        self.sent[kind] += 1
        if page.status >= 500:
            self.failed[kind] += 1
            self.raised.add(f"{where}: {page.text.split(chr(10))[0][:110]}")
        # An admin answers a saved form with a redirect (to the list, or the form again).
        if method == "POST" and page.status in (301, 302, 303):
            self.stored[kind] += 1
        refused = page.status >= 400 or (method == "POST" and page.status == 200)
        if refused and before != after:
            self.wrote_when_refused.append(where)


def django_forms(side):
    """Each form of Django's admin: (url, valid data, the fields to spoil)."""
    lucy = User.objects.get(pk=side.ids["lucy"])
    post = Post.objects.filter(author=lucy).first()
    post_data = {
        "author": side.ids["mary"],
        "body": "a post",
        "timestamp_0": "2026-04-01",
        "timestamp_1": "10:00:00",
    }
    user_change = {
        "username": "lucy",
        "email": "lucy@example.com",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "posts-TOTAL_FORMS": 0,
        "posts-INITIAL_FORMS": 0,
    }
    return [
        (
            reverse("admin:accounts_user_add"),
            {"usable_password": "true", "password1": PASSWORD, "password2": PASSWORD},
            ["username", "email", "password1", "password2"],
        ),
        (
            reverse("admin:accounts_user_change", args=[lucy.pk]),
            user_change,
            ["username", "email", "date_joined_0", "date_joined_1"],
        ),
        (reverse("admin:blog_post_add"), post_data, list(post_data)),
        (reverse("admin:blog_post_change", args=[post.pk]), post_data, list(post_data)),
        (reverse("admin:auth_group_add"), {"name": "editors"}, ["name", "permissions"]),
    ]


def flask_forms(side):
    lucy = side.ids["lucy"]
    post_id = side.query(
        sa.select(flask_models.Post.id).where(flask_models.Post.user_id == lucy).limit(1)
    )[0][0]
    password = "password" if side.module is hardened else "password_hash"
    post_data = {"author": side.ids["mary"], "body": "a post", "timestamp": "2026-04-01 10:00:00"}
    forms = [
        ("/admin/user/new/", {password: PASSWORD}, ["username", "email", password]),
        (
            f"/admin/user/edit/?id={lucy}",
            {"username": "lucy", "email": "lucy@example.com"},
            ["username", "email", password],
        ),
        ("/admin/post/new/", post_data, list(post_data)),
        (f"/admin/post/edit/?id={post_id}", post_data, list(post_data)),
    ]
    if side.module is hardened:
        staff = {"user": lucy, "manages_posts": "y"}
        forms.append(("/admin/staff/new/", staff, ["user", "manages_users", "manages_posts"]))
    return forms


def flask_lists(side):
    """Each list of the Flask-Admin, with its query-string parameters and its filters."""
    admin = side.app.extensions["admin"][0]
    lists = {}
    for view in admin._views:
        if hasattr(view, "_filter_args"):
            filters = [f"flt0_{name}" for name in (view._filter_args or {})]
            lists[view.url + "/"] = FLASK_LIST_ARGS + filters
    return lists


def django_lists(side):
    lists = {}
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        links = re.findall(r'href="\?([^"]+)"', side.get(url).text)
        filters = {name for link in links for name in parse_qs(html.unescape(link))}
        if model is Post:
            filters.add("author__id__exact")
        lists[url] = DJANGO_LIST_ARGS + sorted(filters - set(DJANGO_LIST_ARGS))
    return lists


def django_rows():
    return (User.objects.count(), Post.objects.count())


def flask_rows(side):
    users = side.query(sa.select(sa.func.count(flask_models.User.id)))[0][0]
    posts = side.query(sa.select(sa.func.count(flask_models.Post.id)))[0][0]
    return (users, posts)


def safely(send, *args, **kwargs):
    """The answer, or a 500 naming what raised (Django's test client and Flask's re-raise)."""
    try:
        return send(*args, **kwargs)
    except Exception as error:
        return Page(500, "", f"{type(error).__name__}: {error}")


def attack(side, forms, lists, rows):
    tally = Tally()
    fresh = iter(range(1_000_000))

    def unique(data):
        # A new user needs a name and address of its own, else the add is refused for that.
        n = next(fresh)
        return {"username": f"new{n}", "email": f"new{n}@example.com", **data}

    for url, valid, fields in forms:
        is_add = "add" in url or "new" in url
        # One token per form for the session, as a browser keeps it (none as documented).
        token = token_in(safely(side.get, url).text, side.token_name)
        signed = {side.token_name: token} if token else {}
        for field in fields:
            for kind, value in HOSTILE.items():
                data = {**(unique(valid) if is_add else valid), **signed, field: value}
                before = rows()
                page = safely(side.post, url, data, with_token=False)
                tally.count(kind, f"{url} {field}", page, before, rows(), "POST")
        data = unique(valid) if is_add else valid
        before = rows()
        page = safely(side.post, url, data, with_token=False)
        tally.count(MISSING_CSRF, url, page, before, rows(), "POST")

    for url, names in lists.items():
        for name in names:
            for kind, value in HOSTILE.items():
                before = rows()
                page = safely(side.get, url, {name: value})
                tally.count(kind, f"{url}?{name}=", page, before, rows(), "GET")
    return tally


@contextmanager
def twin_database(tmp_path, label):
    """Where a Flask-Admin keeps its tables, on Django's backend: a SQLite file, or a scratch
    database on Django's server (a SQLAlchemy URL), dropped afterwards."""
    if connection.vendor == "sqlite":
        yield tmp_path / f"{label}.db"
        return
    settings = connection.settings_dict
    mysql = connection.vendor == "mysql"
    server = sa.engine.URL.create(
        "mysql+mysqldb" if mysql else "postgresql+psycopg",
        username=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=int(settings["PORT"]) if settings["PORT"] else None,
    )
    root = sa.create_engine(
        server if mysql else server.set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    name = scratch_database_name(label)
    charset = " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" if mysql else ""
    with root.connect() as c:
        c.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(sa.text(f"CREATE DATABASE {name}{charset}"))
    try:
        url = server.set(database=name, query={"charset": "utf8mb4"} if mysql else {})
        yield url.render_as_string(hide_password=False)
    finally:
        with root.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        root.dispose()


@pytest.fixture
def tallies(db, tmp_path):
    django = DjangoSide()
    # A group, for the user list to offer its filter by group (and the group form its name).
    Group.objects.create(name="readers")
    django.log_in("mary")
    results = {
        django.name: attack(django, django_forms(django), django_lists(django), django_rows),
    }
    with ExitStack() as stack:
        for module in (documented, hardened):
            label = f"flask_{module.__name__.rsplit('.', 1)[-1]}"
            side = FlaskSide(module, stack.enter_context(twin_database(tmp_path, label)))
            side.log_in("mary")
            results[side.name] = attack(
                side, flask_forms(side), flask_lists(side), lambda side=side: flask_rows(side)
            )
            # Its connections closed before its database is dropped.
            with side.app.app_context():
                flask_db.engine.dispose()
    return results


def test_hostile_input_through_each_admin_is_counted_on_the_page(tallies):
    page = PAGE.read_text(encoding="utf-8")
    expected = with_hostile_block(page, tallies, connection.vendor)
    if os.environ.get("ADMIN_CONTRAST_WRITE"):  # make admin-contrast
        PAGE.write_text(expected, encoding="utf-8")
        write_hostile_results(tallies, connection.vendor)
        page = expected
    charted = json.loads(HOSTILE_RESULTS.read_text(encoding="utf-8"))["backends"]

    assert page == expected, "docs/admin-contrast.md disagrees with this run: make admin-contrast"
    # The chart beside the table draws the same counts (tests/test_plots.py checks the drawing).
    counts = charted.get(BACKEND_LABELS[connection.vendor])
    assert counts == hostile_counts(tallies), f"{HOSTILE_RESULTS} disagrees: make admin-contrast"
    # Django's admin answers every one of them without a 5xx; no side's refusal writes a row.
    django = tallies["Django admin"]
    assert sum(django.failed.values()) == 0, django.raised
    for name, tally in tallies.items():
        assert tally.wrote_when_refused == [], (name, tally.wrote_when_refused)
