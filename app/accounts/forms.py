from django import forms
from django.contrib.auth import forms as auth_forms

from accounts.models import User


class EmailUniqueMixin:
    """Report a taken email (in any case) next to the field, before the
    database constraint would refuse it."""

    def clean_email(self):
        email = self.cleaned_data["email"]
        taken = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                "A user with that email address already exists.", code="unique"
            )
        return email


class UserCreationForm(EmailUniqueMixin, auth_forms.UserCreationForm):
    """Create a user with a username, an email and a password."""

    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class AdminUserCreationForm(EmailUniqueMixin, auth_forms.AdminUserCreationForm):
    """The admin's add form: Django's own, plus the required email."""

    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserChangeForm(EmailUniqueMixin, auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
