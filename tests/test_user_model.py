"""accounts.User: the chapter's users table as a Django custom user."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from tests.factories import PASSWORD, UserFactory


def test_repr_matches_the_chapter():
    assert repr(User(username="mary", email="mary@mail.com")) == "<User mary>"


def test_str_is_the_username():
    assert str(User(username="mary")) == "mary"


@pytest.mark.django_db
def test_password_is_stored_as_a_hash():
    user = UserFactory()

    # The chapter's password_hash column is Django's `password`: never the password itself.
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD)
    assert not user.check_password("wrong")


def test_the_chapter_has_no_first_or_last_name():
    field_names = {field.name for field in User._meta.get_fields()}

    assert {"username", "email", "password"} <= field_names
    assert not {"first_name", "last_name"} & field_names


def test_field_lengths_match_the_chapter():
    assert User._meta.get_field("username").max_length == 64
    assert User._meta.get_field("email").max_length == 120


@pytest.mark.django_db
def test_email_is_required():
    user = User(username="mary")
    user.set_password(PASSWORD)

    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "email" in excinfo.value.message_dict


@pytest.mark.django_db
def test_validation_rejects_a_65_character_username():
    user = User(username="u" * 65, email="long@example.com")
    user.set_password(PASSWORD)

    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "username" in excinfo.value.message_dict


@pytest.mark.django_db
def test_validation_reports_a_case_variant_username():
    UserFactory(username="mary")
    twin = User(username="MARY", email="other@example.com", password="x")

    # A constraint error on SQLite and PostgreSQL, a field error on MariaDB (its collation
    # ignores case, so the plain unique check already finds "mary").
    with pytest.raises(ValidationError, match="A user with that username already exists"):
        twin.full_clean()
