"""Fixtures shared by every test file."""

import pytest

from tests.child_process import run_python


@pytest.fixture
def manage():
    """`manage("migrate", env={...})` runs manage.py in a child process."""
    return lambda *args, **kwargs: run_python("manage.py", *args, **kwargs)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashers are slow on purpose (~0.5 s a password); tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
