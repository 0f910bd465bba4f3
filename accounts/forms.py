"""Admin forms for the custom user: Django's own, pointed at our model, plus field-level errors
for duplicates that differ only in letter case (the database constraint is the real guard)."""

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.db import models

from accounts.models import User


class CaseInsensitiveUniqueMixin(forms.ModelForm):
    """Report "Mary" vs "mary" next to the field, where the admin user looks for it."""

    def _reject_case_variant(self, field_name: str) -> str:
        value = self.cleaned_data[field_name]  # clean_<field>() runs only once it is there
        if value:
            others = User.objects.filter(**{f"{field_name}__iexact": value})
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                field = User._meta.get_field(field_name)
                assert isinstance(field, models.Field)  # a column, not a relation
                self.add_error(field_name, field.error_messages["unique"])
        return value

    def clean_username(self) -> str:
        return self._reject_case_variant("username")

    def clean_email(self) -> str:
        return self._reject_case_variant("email")


class UserCreationForm(CaseInsensitiveUniqueMixin, auth_forms.AdminUserCreationForm):
    # django-stubs leaves out the Meta classes of Django's user forms; they are there.
    class Meta(auth_forms.AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "email")


class UserChangeForm(CaseInsensitiveUniqueMixin, auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):  # type: ignore[name-defined]
        model = User


class ModelMultipleChoiceFieldOfValidIds(forms.ModelMultipleChoiceField):
    """Django's field for a many-to-many (a group's permissions, a user's groups), minus a 500:
    it looks up the chosen ids with `pk__in`, and an id past the column's range (2**63) made
    SQLite's driver raise OverflowError there (found by tests/test_admin_hostile_input.py).
    Such an id is now refused like one that is not a number."""

    def clean(self, value: Any) -> Any:
        if self.queryset is not None and isinstance(value, list | tuple):
            id_field = self.queryset.model._meta.pk
            for pk in value:
                try:
                    # The validators hold the database's integer range for the id column.
                    id_field.run_validators(id_field.to_python(pk))
                except forms.ValidationError:
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    ) from None
        return super().clean(value)
