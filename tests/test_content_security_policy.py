"""Every page carries a Content-Security-Policy strict enough to matter (django-csp; the policy in
settings.py). The browser tests prove the pages still work under it (test_browser_admin.py)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def policy(response):
    header = response["Content-Security-Policy"]
    return dict((directive.split()[0], directive.split()[1:]) for directive in header.split("; "))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/admin/login/",
        "/admin/blog/post/",
        "/no-such-page/",  # the 404 page
        "/?before=not-a-date",  # the 400 page for our own refusal
        "/?q=%00",  # the 400 for hostile input, answered before any view
    ],
)
def test_every_answer_carries_the_policy(admin_client, path):
    rules = policy(admin_client.get(path))

    # Nothing is allowed unless named; scripts and styles only from here or with the nonce.
    assert rules["default-src"] == ["'none'"]
    for kind in ("script-src", "style-src"):
        assert rules[kind][0] == "'self'"
        assert all(source.startswith("'nonce-") for source in rules[kind][1:])
    assert rules["frame-ancestors"] == ["'none'"]
    assert rules["base-uri"] == ["'none'"]
    assert rules["form-action"] == ["'self'"]
    everything = " ".join(" ".join(sources) for sources in rules.values())
    assert "unsafe" not in everything  # no 'unsafe-inline', 'unsafe-eval', 'unsafe-hashes'
    assert "*" not in everything


def test_the_inline_style_carries_this_responses_nonce(client):
    first, second = client.get("/"), client.get("/")

    [nonce] = re.findall(r'<style nonce="([^"]+)">', first.content.decode())
    assert f"'nonce-{nonce}'" in policy(first)["style-src"]
    # A new nonce each time: one seen in a page cannot be reused by an injected script later.
    assert nonce not in second.content.decode()
