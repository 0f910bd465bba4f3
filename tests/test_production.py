"""DJANGO_ENV=production: safe to put on the internet (`check --deploy` is clean), static files
served by whitenoise, and passwords hashed with Argon2."""

import secrets

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

import microblog.settings as project_settings
from tests.factories import PASSWORD, UserFactory


def production_env(**extra):
    return {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "microblog.example.com",
        **extra,
    }


def test_check_deploy_gives_no_warnings_in_production(manage):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr == ""


def test_check_deploy_warns_about_development_settings(manage):
    # The same check on development settings must complain, or the test above proves nothing.
    result = manage("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 1
    assert "security.W018" in result.stderr  # DEBUG on


# Runs in a production child process, through the whole middleware stack.
SERVE_THE_LOGIN_PAGE = """
import re
import django
django.setup()
from django.test import Client

client = Client(HTTP_HOST="microblog.example.com")
print("http", client.get("/admin/login/").status_code, client.get("/admin/login/")["Location"])
print("claims https", client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https").status_code)
page = client.get("/admin/login/", secure=True)
print("https", page.status_code)
print("hsts", page["Strict-Transport-Security"])
print("cookie", page.cookies["csrftoken"]["secure"])
css = re.search(r'href="(/static/admin/css/base\\.[0-9a-f]{12}\\.css)"', page.text).group(1)
static = client.get(css, secure=True, HTTP_ACCEPT_ENCODING="gzip")
print("css", static.status_code, static["Content-Encoding"], static["Cache-Control"])
"""


def test_production_serves_https_only_with_its_own_static_files(manage, tmp_path):
    env = production_env(STATIC_ROOT=str(tmp_path), DJANGO_SETTINGS_MODULE="microblog.settings")
    collected = manage("collectstatic", "--noinput", "-v0", env=env)
    assert collected.returncode == 0, collected.stderr

    result = manage("shell", "-v0", "-c", SERVE_THE_LOGIN_PAGE, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        # Plain HTTP is sent to HTTPS...
        "http 301 https://microblog.example.com/admin/login/",
        # A client's own X-Forwarded-Proto is not believed without BEHIND_TLS_PROXY.
        "claims https 301",
        "https 200",
        # ...and browsers are told to stay there, with cookies that never travel unencrypted.
        "hsts max-age=31536000; includeSubDomains; preload",
        "cookie True",
        # The admin's CSS has a content hash in its name, comes compressed, and is cached forever.
        "css 200 gzip max-age=315360000, public, immutable",
    ]


def test_behind_a_tls_proxy_its_forwarded_protocol_is_believed(manage):
    show = "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER)"

    result = manage("shell", "-v0", "-c", show, env=production_env(BEHIND_TLS_PROXY="true"))

    assert result.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')", result.stderr


def test_argon2_hashes_new_passwords():
    assert project_settings.PASSWORD_HASHERS[0].endswith(".Argon2PasswordHasher")


@pytest.mark.django_db
def test_an_older_pbkdf2_hash_is_upgraded_to_argon2_at_login(client, settings):
    # The project's hashers, not the fast one tests/conftest.py puts in place.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = UserFactory(is_staff=True)
    # A hash made before Argon2 came first, as an existing database holds it.
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)
