from django import forms
from django.contrib.auth import forms as auth_forms
from django.views.decorators.debug import sensitive_variables

from accounts.identity import canonical_email, canonical_username
from accounts.mail import send_templated_mail
from accounts.models import EMAIL_CANONICAL_MAX_LENGTH, EmailChange, User, expired_before


def taken_by_another(form, **canonical):
    """Whether a user other than the one the form edits has this canonical
    username or email (``username_canonical=…`` or ``email_canonical=…``)."""
    taken = User._default_manager.filter(**canonical)
    if form.instance.pk:
        taken = taken.exclude(pk=form.instance.pk)
    return taken.exists()


def claimed_by_another(user, canonical):
    """Whether a user other than ``user`` waits to verify this canonical
    email as their new address (and the link is still good)."""
    claims = EmailChange.objects.filter(
        email_canonical=canonical, requested_at__gt=expired_before()
    )
    if user is not None and user.pk:
        claims = claims.exclude(user_id=user.pk)
    return claims.exists()


class CanonicalUsernameMixin:
    """Refuse a username that another user has in any spelling, or with an ``@``.

    "Any spelling" is the canonical form of ``accounts.identity``, the one the
    database's unique constraint holds; this reports it next to the field
    before the constraint would refuse the row. It replaces Django's own
    ``__iexact`` check, which compares another way.

    An ``@`` is refused because people log in with their username or their
    email: a username shaped like somebody else's email would capture that
    person's logins. It is refused in the canonical form too, where a
    fullwidth at sign (U+FF20) has become ``@``.
    """

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if not username:
            return username
        canonical = canonical_username(username)
        if "@" in canonical:
            raise forms.ValidationError(
                "A username cannot contain @. You can log in with your email as well.",
                code="invalid",
            )
        if taken_by_another(self, username_canonical=canonical):
            raise forms.ValidationError("A user with that username already exists.", code="unique")
        return username


class CanonicalEmailMixin:
    """Refuse an email that another user has in any spelling (canonical form,
    as the database's unique constraint does), next to the field."""

    def clean_email(self):
        email = self.cleaned_data.get("email")
        if not email:
            return email
        canonical = canonical_email(email)
        # NFKC can turn one character of a Unicode domain into eighteen.
        if len(canonical) > EMAIL_CANONICAL_MAX_LENGTH:
            raise forms.ValidationError("This email address is too long.", code="max_length")
        if taken_by_another(self, email_canonical=canonical) or claimed_by_another(
            self.instance, canonical
        ):
            raise forms.ValidationError(
                "A user with that email address already exists.", code="unique"
            )
        return email


class SignupForm(CanonicalUsernameMixin, CanonicalEmailMixin, auth_forms.UserCreationForm):
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
    CanonicalUsernameMixin, CanonicalEmailMixin, auth_forms.AdminUserCreationForm
):
    """The admin's add form: Django's own, plus the required email."""

    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserChangeForm(CanonicalUsernameMixin, CanonicalEmailMixin, auth_forms.UserChangeForm):
    """The admin's change form, with the same rules for the username and the
    email as at signup."""

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


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, finding the account by the canonical email.

    Django's ``get_users`` filters with ``__iexact`` (PostgreSQL's ``UPPER()``)
    and then compares NFKC-casefolded text in Python: two rules, neither of
    them the one the database's unique constraint holds. One lookup on
    ``email_canonical`` finds the account for any spelling of its mailbox;
    the link goes to the address stored on the account, never to the one
    typed.
    """

    def get_users(self, email):
        active_users = User._default_manager.filter(
            email_canonical=canonical_email(email), is_active=True, email_verified_at__isnull=False
        )
        return (user for user in active_users if user.has_usable_password())

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Django's, except that a failure to send raises: the form runs in
        a task (``accounts.tasks``), whose failures the worker retries.
        Django's own logs the error and carries on."""
        send_templated_mail(
            subject_template_name, email_template_name, context, to_email, html_email_template_name
        )


class PasswordConfirmationForm(forms.Form):
    """The password of the logged-in user, once more."""

    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    @sensitive_variables("password")
    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.", code="password_incorrect")
        return password


class EmailChangeForm(CanonicalEmailMixin, PasswordConfirmationForm):
    """A new address for the logged-in user, with the password."""

    email = forms.EmailField(
        label="New email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    field_order = ["email", "password"]

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.instance = user  # CanonicalEmailMixin: the user's own rows don't count

    def clean_email(self):
        email = super().clean_email()
        if email and canonical_email(email) == self.user.email_canonical:
            raise forms.ValidationError("That is your address already.", code="unchanged")
        return email


def code_field():
    return forms.CharField(
        label="Code",
        max_length=32,
        help_text="Six digits from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class SecondFactorCodeForm(forms.Form):
    """A code from the authenticator app, or a recovery code."""

    code = code_field()


class SecondFactorOffForm(PasswordConfirmationForm):
    """The password and a code: what turning the second factor off needs."""

    code = code_field()
