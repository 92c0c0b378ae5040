from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django_otp.models import Device

from accounts.identity import canonical_email, canonical_username

# Canonical forms can be longer than what was typed. A username is NFKC
# already when it is validated (150 characters at most), and case folding at
# most doubles NFKC text (``ß`` folds to ``ss``), so 300 always fits. An email
# is not: NFKC can turn one character of a Unicode domain into eighteen, and
# the forms refuse an address whose canonical form would not fit. Both stay
# far below the size of a btree index entry.
USERNAME_CANONICAL_MAX_LENGTH = 300
EMAIL_CANONICAL_MAX_LENGTH = 512


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """``update()`` skips ``save()``; fill the canonical columns here too,
        so that a bulk rename cannot leave them behind."""
        for field, canonical, function in (
            ("username", "username_canonical", canonical_username),
            ("email", "email_canonical", canonical_email),
        ):
            if field in kwargs and canonical not in kwargs:
                if not isinstance(kwargs[field], str):
                    raise TypeError(
                        f"update({field}=…) needs a plain string, or {canonical}= beside it."
                    )
                kwargs[canonical] = function(kwargs[field])
        return super().update(**kwargs)

    update.alters_data = True


class EmailRequiredUserManager(UserManager):
    """Django's manager, refusing a user without an email address."""

    def get_queryset(self):
        return UserQuerySet(self.model, using=self._db)

    def get_by_natural_key(self, username):
        """The user whose username is ``username`` in any spelling: what is
        unique, so what ``createsuperuser`` asks before it creates one."""
        return self.get(username_canonical=canonical_username(username))

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """A superuser's address is the operator's own word (createsuperuser,
        a shell): taken as verified."""
        extra_fields.setdefault("email_verified_at", timezone.now())
        return super().create_superuser(username, email, password, **extra_fields)

    def _create_user_object(self, username, email, password, **extra_fields):
        if not email:
            raise ValueError("Users must have an email address.")
        return super()._create_user_object(username, email, password, **extra_fields)


class User(AbstractUser):
    """The service's user: Django's own, with a required email, and a username
    and an email that are each unique in their canonical form.

    ``username_canonical`` and ``email_canonical`` hold those forms (see
    ``accounts.identity``), computed in ``save()`` and ``clean()``, so that
    forms, the admin, ``createsuperuser`` and the shell all fill them. The
    rules live in the database: no code path can store ``Ada@Example.com``
    beside ``ada@example.com`` (nor the same with a fullwidth ``example``), ``ADA`` beside
    ``ada``, a username with an ``@`` (it could capture somebody's email at
    login), a user with no email, or, through a path that skips ``save()``
    such as ``bulk_create``, a row without its canonical forms.
    """

    email = models.EmailField("email address")
    username_canonical = models.CharField(max_length=USERNAME_CANONICAL_MAX_LENGTH, editable=False)
    email_canonical = models.CharField(max_length=EMAIL_CANONICAL_MAX_LENGTH, editable=False)
    # When the owner of ``email`` proved it (an emailed link); empty until then.
    email_verified_at = models.DateTimeField("email verified", null=True, blank=True)

    objects = EmailRequiredUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["username_canonical"],
                name="accounts_user_username_canonical_unique",
                violation_error_message="A user with that username already exists.",
            ),
            models.UniqueConstraint(
                fields=["email_canonical"],
                name="accounts_user_email_canonical_unique",
                violation_error_message="A user with that email address already exists.",
            ),
            models.CheckConstraint(
                condition=~models.Q(email=""),
                name="accounts_user_email_not_blank",
                violation_error_message="Users must have an email address.",
            ),
            models.CheckConstraint(
                condition=~models.Q(username_canonical=""),
                name="accounts_user_username_canonical_not_blank",
                violation_error_message="The canonical username is missing.",
            ),
            models.CheckConstraint(
                condition=~models.Q(email_canonical=""),
                name="accounts_user_email_canonical_not_blank",
                violation_error_message="The canonical email address is missing.",
            ),
            models.CheckConstraint(
                condition=~models.Q(username_canonical__contains="@"),
                name="accounts_user_username_has_no_at",
                violation_error_message="A username cannot contain @.",
            ),
        ]

    @property
    def email_verified(self):
        return self.email_verified_at is not None

    def fill_canonical(self):
        """Compute the canonical forms from the username and the email."""
        self.username_canonical = canonical_username(self.username)
        self.email_canonical = canonical_email(self.email)

    def clean(self):
        super().clean()
        self.fill_canonical()

    def save(self, *args, **kwargs):
        self.fill_canonical()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = set(update_fields)
            if "username" in update_fields:
                update_fields.add("username_canonical")
            if "email" in update_fields:
                update_fields.add("email_canonical")
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)


class ThrottleCounter(models.Model):
    """How many attempts one subject (an account, an address, an email) made
    in its current window. See ``accounts.throttling``."""

    key = models.CharField(max_length=255, primary_key=True)
    hits = models.PositiveIntegerField()
    window_ends = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.hits} until {self.window_ends:%Y-%m-%d %H:%M:%S}"


def expired_before():
    """Links to verify an address made before this time have expired."""
    return timezone.now() - timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT)


class EmailChange(models.Model):
    """A new address a user asked for, not yet verified: it replaces
    ``User.email`` only when its owner follows the emailed link
    (``accounts.verification``). Its canonical form is unique here, and the
    forms refuse it where another user has it, pending or not, so no two
    accounts can end up with one address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_change"
    )
    email = models.EmailField("new email address")
    email_canonical = models.CharField(max_length=EMAIL_CANONICAL_MAX_LENGTH, unique=True)
    requested_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user} → {self.email}"

    def save(self, *args, **kwargs):
        self.email_canonical = canonical_email(self.email)
        super().save(*args, **kwargs)

    @property
    def expired(self):
        return self.requested_at <= expired_before()


class RecoveryCodeDevice(Device):
    """The recovery codes of a user, as a django-otp device: each code works
    once, in place of the authenticator's code.

    The codes are shown once, when made, and only a keyed hash of each is
    stored (``accounts.second_factor.recovery_digest``; django-otp's own
    static device stores them in clear)."""

    def verify_token(self, token):
        from accounts.second_factor import recovery_digests

        # One statement: of two requests with one code, one deletes it.
        used, _ = self.codes.filter(digest__in=recovery_digests(token)).delete()
        return used > 0

    def remaining(self):
        return self.codes.count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, db_index=True)

    def __str__(self):
        return f"recovery code {self.pk} of {self.device}"
