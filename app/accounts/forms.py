from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.mail import EmailMultiAlternatives
from django.template import loader

from accounts.identity import canonical_email, canonical_username
from accounts.models import EMAIL_CANONICAL_MAX_LENGTH, User


def taken_by_another(form, **canonical):
    """Whether a user other than the one the form edits has this canonical
    username or email (``username_canonical=…`` or ``email_canonical=…``)."""
    taken = User._default_manager.filter(**canonical)
    if form.instance.pk:
        taken = taken.exclude(pk=form.instance.pk)
    return taken.exists()


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
        if taken_by_another(self, email_canonical=canonical):
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
            email_canonical=canonical_email(email), is_active=True
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
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            html = loader.render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        message.send()
