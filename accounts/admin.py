"""Django's own user admin, adapted to our user: no first/last name, email required."""

from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import models

from accounts.forms import ModelMultipleChoiceFieldOfValidIds, UserChangeForm, UserCreationForm
from accounts.models import User

# A chosen id past the column's range is refused by the form, not a 500 (accounts/forms.py).
VALID_IDS_ONLY: Mapping[type[models.Field[Any, Any]], Mapping[str, Any]] = {
    models.ManyToManyField: {"form_class": ModelMultipleChoiceFieldOfValidIds}
}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("username", "email", "password")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("username", "email", "is_staff", "date_joined")
    search_fields = ("username", "email")
    formfield_overrides = VALID_IDS_ONLY


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    formfield_overrides = VALID_IDS_ONLY
