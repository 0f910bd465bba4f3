"""`make run` calls this so a new clone has an admin login to show on screen."""

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

DEV_ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = "Create a development superuser with a random password if there is no superuser yet."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("dev_admin is for development; use createsuperuser in production")
        admin_url = "http://127.0.0.1:8000/admin/"
        existing = User.objects.filter(is_superuser=True).order_by("id").first()
        if existing:
            self.stdout.write(
                f"Admin: {admin_url} — log in as {existing.username!r} "
                f"(forgot the password? python manage.py changepassword {existing.username})"
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(DEV_ADMIN_USERNAME, "admin@example.com", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin: {admin_url} — user {DEV_ADMIN_USERNAME!r}, password {password!r} "
                "(shown once; change it with python manage.py changepassword admin)"
            )
        )
