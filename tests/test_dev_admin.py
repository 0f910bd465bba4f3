"""`make run` shows a way into the admin: a development superuser, made once."""

import re

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_first_run_creates_an_admin_and_shows_its_password(capsys, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

    call_command("dev_admin")

    shown = capsys.readouterr().out
    password = re.search(r"password '([^']+)'", shown).group(1)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password(password)
    assert "http://127.0.0.1:8000/admin/" in shown


def test_later_runs_name_the_existing_admin_and_change_nothing(capsys):
    UserFactory(username="boss", is_superuser=True, is_staff=True)

    call_command("dev_admin")

    assert "log in as 'boss'" in capsys.readouterr().out
    assert User.objects.count() == 1


def test_production_refuses_to_make_a_development_admin(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="createsuperuser"):
        call_command("dev_admin")
    assert User.objects.count() == 0
