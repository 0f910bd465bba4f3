"""Hostile input is harmless: generated query strings and form data, sent by a logged-in editor to
every URL pattern the site has (listed by django-extensions' show_urls, so a new page is fuzzed
without anyone adding it here), never get a 5xx, and a request that is refused writes nothing.

The matrix runs this on SQLite, PostgreSQL and MariaDB. `@example`s are inputs that found
bugs once, kept as regression cases.
"""

import json
import os
import re
from io import StringIO
from urllib.parse import quote

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import resolve
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import User
from blog.models import Post
from spreadsheets.models import Import
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

# FUZZ_EXAMPLES=500 for a longer hunt than CI's.
EXAMPLES_PER_ROUTE = int(os.environ.get("FUZZ_EXAMPLES", "30"))


def all_routes():
    out = StringIO()
    call_command("show_urls", format="json", stdout=out)
    return sorted(route["url"] for route in json.loads(out.getvalue()))


ROUTES = all_routes()

# Names the site's pages read from query strings and forms, and a few they do not.
NAMES = [
    *["q", "p", "o", "e", "all", "_to_field", "_popup", "_changelist_filters", "_facets"],
    *["older", "newer", "before", "page", "term", "app_label", "model_name", "field_name"],
    *["timestamp__range__gte", "timestamp__range__lte", "author__id__exact", "next"],
    *["body", "author", "timestamp_0", "timestamp_1", "username", "email", "password"],
    *["password1", "password2", "usable_password", "post", "action", "_selected_action"],
    *["index", "name", "permissions", "is_staff", "_save", "csrfmiddlewaretoken"],
]
VALUES = st.one_of(
    st.sampled_from(["", "1", "0", "-1", "2024-06-01", "2024-13-45", "yes", "@demo", "blog"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),  # past 64 bits both ways
    st.text(max_size=40),  # any Unicode: NUL, surrogates escaped, non-ASCII digits…
    st.sampled_from(["\x00", "a\x00b", "١٢٣", "²", "𝟙𝟚", "9" * 400, "x" * 5000]),
    st.sampled_from(["20240601T120000.000000Z_5", "00000101T000000.000000Z_1", "'; --"]),
)
PAIRS = st.lists(
    st.tuples(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), VALUES), max_size=5
)
# Raw tails for the query string: percent escapes that decode to nothing valid.
BAD_ESCAPES = st.sampled_from(["", "%", "%zz", "%0", "%ff%fe", "q=%C0%80", "p=%00", "&&=&"])


def query_string(pairs, tail):
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    return "&".join(part for part in (encoded, tail) if part)


@pytest.fixture
def site(admin_client):
    """A post, its author, a group: something for every <object_id> to name."""
    post = PostFactory(author=UserFactory(username="mary"))
    group = Group.objects.create(name="editors")
    checking = Import.objects.create(
        kind="posts", file_name="p.csv", file_format="csv", path="/nonexistent/p.csv"
    )
    return {
        "<app_label>": "blog",
        "<url>": "no/such/page/",
        "<path:content_type_id>": str(ContentType.objects.get_for_model(Post).pk),
        "/admin/blog/post/<path:object_id>": f"/admin/blog/post/{post.pk}",
        "/admin/accounts/user/<path:object_id>": f"/admin/accounts/user/{post.author_id}",
        "/admin/accounts/user/<id>": f"/admin/accounts/user/{post.author_id}",
        "/admin/auth/group/<path:object_id>": f"/admin/auth/group/{group.pk}",
        "<path:object_id>": str(post.pk),
        "<str:file_format>": "csv",
        "<int:pk>": str(checking.pk),
    }


def concrete(route, site):
    for placeholder, value in site.items():
        route = route.replace(placeholder, value)
    assert "<" not in route, f"no value for a placeholder in {route}: add it to `site`"
    return route


def rows():
    return {model.__name__: model.objects.count() for model in (User, Post, Group, LogEntry)}


def test_every_route_the_site_has_is_fuzzed(site):
    # The list comes from the URL configuration itself; each becomes a URL that resolves.
    assert "/" in ROUTES
    assert "/admin/autocomplete/" in ROUTES
    for route in ROUTES:
        resolve(re.sub(r"\?.*", "", concrete(route, site)))


@pytest.mark.parametrize("route", ROUTES)
@settings(
    max_examples=EXAMPLES_PER_ROUTE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(method=st.sampled_from(["GET", "POST"]), pairs=PAIRS, tail=BAD_ESCAPES, form=PAIRS)
# Found by this test: a NUL in the autocomplete's search term was a 500 on PostgreSQL; a page
# number past the end on a post's history page was a 500 everywhere.
@example(
    method="GET",
    pairs=[
        ("term", "\x00"),
        ("app_label", "blog"),
        ("model_name", "post"),
        ("field_name", "author"),
    ],
    tail="",
    form=[],
)
@example(method="GET", pairs=[("q", "\x00")], tail="", form=[])
# …and an author that is no id, prefilled into the add form or sent in it (?author=:).
@example(method="GET", pairs=[("author", ":")], tail="", form=[])
@example(method="POST", pairs=[], tail="", form=[("author", ":")])
# …or an id past the column's range (found on Django 6.1: SQLite's driver raised OverflowError).
@example(method="POST", pairs=[], tail="", form=[("author", "9223372036854775808")])
# …and an empty _to_field on a delete page (Django's admin looked up a field named "").
@example(method="GET", pairs=[("_to_field", "")], tail="", form=[])
@example(method="GET", pairs=[("page", "99999999999999999999")], tail="", form=[])
@example(method="GET", pairs=[("p", "99999999999999999999")], tail="", form=[])
def test_no_request_gets_a_5xx_and_a_refused_one_writes_nothing(
    admin_client, site, route, method, pairs, tail, form
):
    url = f"{concrete(route, site)}?{query_string(pairs, tail)}"
    before = rows()

    send = admin_client.get if method == "GET" else admin_client.post
    response = send(url, dict(form)) if method == "POST" else send(url)

    assert response.status_code < 500, (url, form, response.status_code)
    if refused(response, method):
        assert rows() == before, (url, form)


def refused(response, method):
    """An error, or a POST answered with a page (a form shown again with its errors, a
    confirmation to give) rather than a redirect. Except the admin's popups, which answer a
    successful save with a page that closes the popup."""
    if response.status_code >= 400:
        return True
    if method != "POST" or response.status_code != 200:
        return False
    return "popup_response_data" not in (response.context or {})
