"""Fixtures shared by every test file."""

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from tests.child_process import run_python


@pytest.fixture
def manage():
    """`manage("migrate", env={...})` runs manage.py in a child process."""
    return lambda *args, **kwargs: run_python("manage.py", *args, **kwargs)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashers are slow on purpose (~0.5 s a password); tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(items):
    """With DATABASE_REPLICA_URLS (make test-all's replica run), a test that may use the database
    may use the replicas too: public pages read from them, as they do in production. Django's
    test cases otherwise refuse any alias the test did not ask for."""
    if not settings.DATABASES.keys() - {DEFAULT_DB_ALIAS}:
        return
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None:
            kwargs = {**marker.kwargs, "databases": "__all__"}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
