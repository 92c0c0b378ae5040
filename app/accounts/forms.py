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


class UsernameNotEmailMixin:
    """Refuse an ``@`` in a username.

    People log in with their username or their email; a username shaped like
    somebody else's email would capture that person's logins.
    """

    def clean_username(self):
        username = super().clean_username()
        if username and "@" in username:
            raise forms.ValidationError(
                "A username cannot contain @. You can log in with your email as well.",
                code="invalid",
            )
        return username


class SignupForm(UsernameNotEmailMixin, EmailUniqueMixin, auth_forms.UserCreationForm):
    """Create a user with a username, an email and a password (twice)."""

    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email")
        field_classes = {"username": auth_forms.UsernameField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields[
            "username"
        ].help_text = "Required. 150 characters or fewer. Letters, digits and ./+/-/_ only."


class AdminUserCreationForm(
    UsernameNotEmailMixin, EmailUniqueMixin, auth_forms.AdminUserCreationForm
):
    """The admin's add form: Django's own, plus the required email."""

    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserChangeForm(EmailUniqueMixin, auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form, labelled for a username or an email."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.label = "Username or email"
        field.max_length = 254  # an email may be longer than a username
        field.widget.attrs["maxlength"] = "254"
        field.widget.attrs["autocomplete"] = "username"

    def get_invalid_login_error(self):
        return forms.ValidationError(
            "Your username or email and password did not match. Please try again.",
            code="invalid_login",
        )
