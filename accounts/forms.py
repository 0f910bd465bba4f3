"""Admin forms for the custom user: Django's own, pointed at our model, plus field-level errors
for duplicates that differ only in letter case (the database constraint is the real guard)."""

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
