"""The chapter's `User` table, as a Django custom user model.

Adding a field? Add it here, run `manage.py makemigrations accounts -n <what_it_does>`, and list it
in `accounts/admin.py` so the admin can edit it.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """`AbstractUser` brings the password hash (Django's `password` column is the chapter's
    `password_hash`) plus what the admin needs to log people in: is_staff, is_active, last_login.
    """

    username = models.CharField(
        max_length=64,
        unique=True,
        help_text="At most 64 characters: letters, digits and @/./+/-/_ only.",
        validators=[AbstractUser.username_validator],
        error_messages={"unique": "A user with that username already exists."},
    )
    email = models.EmailField(
        max_length=120,
        unique=True,
        error_messages={"unique": "A user with that email address already exists."},
    )
    # Imported werkzeug scrypt hashes (see accounts/hashers.py) are longer than Django's 128.
    password = models.CharField(_("password"), max_length=256)
    # The chapter's users table has no names; dropping them keeps our table the same shape.
    # (Django supports removing an inherited field so; its type stubs do not.)
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            # `unique=True` alone lets "Mary" and "mary" both in on SQLite and PostgreSQL, whose
            # comparisons are case-sensitive. MariaDB cannot index expressions and skips these
            # two (models.W044), but its default *_ci collations already compare ignoring case.
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_ci_unique",
                violation_error_message="A user with that username already exists "
                "(usernames ignore letter case).",
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                violation_error_message="A user with that email address already exists "
                "(email addresses ignore letter case).",
            ),
        ]

    def __repr__(self) -> str:
        return f"<User {self.username}>"
