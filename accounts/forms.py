"""Admin forms for the custom user: Django's own, pointed at our model, plus field-level errors
for duplicates that differ only in letter case (the database constraint is the real guard)."""

from django.contrib.auth import forms as auth_forms

from accounts.models import User


class CaseInsensitiveUniqueMixin:
    """Report "Mary" vs "mary" next to the field, where the admin user looks for it."""

    def _reject_case_variant(self, field_name):
        value = self.cleaned_data.get(field_name)
        if value:
            others = User.objects.filter(**{f"{field_name}__iexact": value})
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                message = User._meta.get_field(field_name).error_messages["unique"]
                self.add_error(field_name, message)
        return value

    def clean_username(self):
        return self._reject_case_variant("username")

    def clean_email(self):
        return self._reject_case_variant("email")


class UserCreationForm(CaseInsensitiveUniqueMixin, auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserChangeForm(CaseInsensitiveUniqueMixin, auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
