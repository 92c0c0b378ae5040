"""Links that prove an address is its owner's: after signup, and for a new
address before it replaces the old one.

A link holds a token made with Django's signing (``django.core.signing``,
keyed with ``SECRET_KEY``, older keys in ``SECRET_KEY_FALLBACKS`` accepted):
the user's id and a fingerprint of the state the link is for, a keyed hash
of the address to verify, the account's address and the password hash. It
expires after ``EMAIL_VERIFICATION_TIMEOUT`` seconds, and it dies once used
(no address waits any more, or another does), when the password changes (a
reset cancels a change of address someone else asked for) and when a newer
change of address is asked for.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import EmailChange, User

SALT = "accounts.verification"


class InvalidLink(Exception):
    """The link is not one of ours, or was used, or is for a state gone by."""


class ExpiredLink(InvalidLink):
    """The link was ours, and is older than ``EMAIL_VERIFICATION_TIMEOUT``."""


def pending_change(user):
    """The user's change of address still waiting for its link, or None."""
    change = EmailChange.objects.filter(user=user).first()
    if change is None or change.expired:
        return None
    return change


def address_to_verify(user):
    """The address a link for this user would verify: a pending new one,
    else the account's own if it is not verified yet, else None."""
    change = pending_change(user)
    if change is not None:
        return change.email
    if not user.email_verified:
        return user.email
    return None


def _fingerprint(user, email):
    state = "\n".join([email, user.email_canonical, user.password or ""])
    return salted_hmac(SALT, state, algorithm="sha256").hexdigest()[:32]


def make_token(user):
    """A token for the address ``address_to_verify(user)`` (not None)."""
    email = address_to_verify(user)
    if email is None:
        raise ValueError("this user has no address waiting to be verified")
    return signing.dumps({"u": user.pk, "f": _fingerprint(user, email)}, salt=SALT)


def check_token(token):
    """The user a token is for, and the address it verifies; raises
    ``ExpiredLink`` or ``InvalidLink``."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.EMAIL_VERIFICATION_TIMEOUT)
    except signing.SignatureExpired:
        raise ExpiredLink from None
    except signing.BadSignature:
        raise InvalidLink from None
    user = User._default_manager.filter(pk=data.get("u"), is_active=True).first()
    email = address_to_verify(user) if user is not None else None
    if email is None or not constant_time_compare(str(data.get("f")), _fingerprint(user, email)):
        raise InvalidLink
    return user, email


def confirm(user):
    """Mark the address the link verified as the user's, verified. Returns
    the address the account had before (None when it did not change)."""
    with transaction.atomic():
        change = EmailChange.objects.select_for_update().filter(user=user).first()
        user.email_verified_at = timezone.now()
        if change is None or change.expired:
            user.save(update_fields=["email_verified_at"])
            return None
        old_email = user.email
        user.email = change.email
        change.delete()
        user.save(update_fields=["email", "email_verified_at"])
        return old_email
