from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class EmailRequiredUserManager(UserManager):
    """Django's manager, refusing a user without an email address."""

    def _create_user_object(self, username, email, password, **extra_fields):
        if not email:
            raise ValueError("Users must have an email address.")
        return super()._create_user_object(username, email, password, **extra_fields)


class User(AbstractUser):
    """The service's user: Django's own, with a required, case-insensitively
    unique email.

    The rules live in the database, so no code path (a form, the shell, a
    bulk import) can store a second ``Ada@Example.com`` beside
    ``ada@example.com`` or a user with no email at all.
    """

    email = models.EmailField("email address")

    objects = EmailRequiredUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message="A user with that email address already exists.",
            ),
            models.CheckConstraint(
                condition=~models.Q(email=""),
                name="accounts_user_email_not_blank",
                violation_error_message="Users must have an email address.",
            ),
        ]


class ThrottleCounter(models.Model):
    """How many attempts one subject (an account, an address, an email) made
    in its current window. See ``accounts.throttling``."""

    key = models.CharField(max_length=255, primary_key=True)
    hits = models.PositiveIntegerField()
    window_ends = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.hits} until {self.window_ends:%Y-%m-%d %H:%M:%S}"
