"""Repeated failed logins lock out the username, or the address they come from, for a while
(django-axes, configured in settings.py; the client's address in accounts/lockout.py)."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = reverse("admin:login")


@pytest.fixture
def editor():
    return UserFactory(username="mary", is_staff=True)


def log_in(client, username, password, address="203.0.113.7", **headers):
    form = {"username": username, "password": password, "next": "/admin/"}
    return client.post(LOGIN, form, REMOTE_ADDR=address, **headers)


def fail(client, times, username="mary", **kwargs):
    """The status of each failed login: 200 (the form again, saying why) or 429 (locked out)."""
    return [log_in(client, username, "wrong password", **kwargs).status_code for _ in range(times)]


def test_the_right_password_after_a_few_failures_logs_in(client, editor, settings):
    assert set(fail(client, settings.LOGIN_FAILURE_LIMIT - 1)) == {200}
    assert log_in(client, "mary", PASSWORD).status_code == 302
    # A success wipes the count: the next failures start again from zero.
    assert not AccessAttempt.objects.exists()


def test_too_many_failures_lock_the_username_even_with_the_right_password(client, editor, settings):
    # The failure that reaches the limit already answers with the lockout page.
    limit = settings.LOGIN_FAILURE_LIMIT
    assert fail(client, limit) == [200] * (limit - 1) + [429]

    response = log_in(client, "mary", PASSWORD, address="198.51.100.1")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert f"Try again in {settings.LOGIN_LOCKOUT_MINUTES} minutes" in page
    assert "Access attempts" in page  # where an administrator unlocks it


def test_the_username_is_locked_whatever_its_case(client, editor, settings):
    for name in ("mary", "Mary", "MARY", "mAry", "marY")[: settings.LOGIN_FAILURE_LIMIT]:
        log_in(client, name, "wrong password")
    assert log_in(client, "mary", PASSWORD).status_code == 429


def test_too_many_failures_from_one_address_lock_it_for_every_username(client, editor, settings):
    for number in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(client, f"guess{number}", "wrong password", address="203.0.113.9")

    assert log_in(client, "mary", PASSWORD, address="203.0.113.9").status_code == 429
    # Others, from elsewhere, still log in: the username itself failed only once.
    assert log_in(client, "mary", PASSWORD, address="192.0.2.44").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, editor, settings):
    fail(client, settings.LOGIN_FAILURE_LIMIT)
    # As if the time had passed: the attempts' clock is the database's, so move the attempts.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time.replace(year=2000)
    )
    assert log_in(client, "mary", PASSWORD).status_code == 302


def test_a_superuser_unlocks_a_user_in_the_admin(client, admin_client, editor, settings):
    fail(client, settings.LOGIN_FAILURE_LIMIT)
    attempt = AccessAttempt.objects.get(username="mary")

    # Admin › Axes › Access attempts lists it; deleting it unlocks.
    changelist = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert b"mary" in changelist.content
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302

    assert log_in(client, "mary", PASSWORD).status_code == 302


def test_a_superuser_unlocks_a_user_from_the_command_line(client, editor, settings):
    fail(client, settings.LOGIN_FAILURE_LIMIT)
    call_command("axes_reset_username", "mary")
    assert log_in(client, "mary", PASSWORD).status_code == 302


def test_behind_the_tls_proxy_the_address_is_the_one_the_proxy_saw(client, editor, settings):
    settings.BEHIND_TLS_PROXY = True
    proxy = {"address": "10.0.0.2"}  # every request reaches us from the proxy
    # An attacker puts a new made-up address first in each request; the proxy appends the real one.
    for number in range(settings.LOGIN_FAILURE_LIMIT):
        forged = f"192.0.2.{number}, 203.0.113.9"
        log_in(client, f"guess{number}", "x", HTTP_X_FORWARDED_FOR=forged, **proxy)

    assert AccessAttempt.objects.filter(ip_address="203.0.113.9").count() == 5
    locked = log_in(client, "mary", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert locked.status_code == 429
    # Other visitors behind the same proxy are not locked out with the attacker.
    other = log_in(client, "mary", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.3", **proxy)
    assert other.status_code == 302


def test_without_the_proxy_setting_a_forwarded_address_is_not_believed(client, editor, settings):
    settings.BEHIND_TLS_PROXY = False
    log_in(client, "nobody", "x", address="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


def test_failed_logins_never_store_the_password(client, editor, settings):
    fail(client, 2)
    attempt = AccessAttempt.objects.get()
    assert "wrong password" not in attempt.post_data
    assert "wrong password" not in attempt.get_data
