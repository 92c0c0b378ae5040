"""The second factor: an authenticator app (django-otp's TOTP device) and ten
recovery codes (``RecoveryCodeDevice``).

django-otp computes and checks the codes, with a window of one step either
way and each step's code accepted once; nothing here does any of that by
hand. What lives here: making and finding the devices, the QR code (segno,
as an SVG data URI, which the strict CSP allows as an image), and the
recovery codes, random (Django's ``get_random_string``), shown once, of
which only a keyed hash is stored.
"""

import base64
import re

import segno
from django.conf import settings
from django.db import transaction
from django.utils.crypto import get_random_string, salted_hmac
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RecoveryCode, RecoveryCodeDevice

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: read off paper without doubt. 31 symbols, 10 a code: 49 bits.
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10
RECOVERY_SALT = "accounts.second_factor.recovery_code"
AUTHENTICATOR_NAME = "Authenticator app"


def normalize_code(code):
    """What a person typed, without spaces and dashes, in lower case."""
    return re.sub(r"[\s-]+", "", code or "").lower()


def recovery_digests(code):
    """The keyed hashes a stored recovery code may have: one per key in use
    (``SECRET_KEY``, then ``SECRET_KEY_FALLBACKS``), so a rotation of the key
    keeps the codes working while the old key is a fallback."""
    code = normalize_code(code)
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [
        salted_hmac(RECOVERY_SALT, code, secret=key, algorithm="sha256").hexdigest() for key in keys
    ]


def authenticator(user, confirmed=True):
    return TOTPDevice.objects.devices_for_user(user, confirmed=confirmed).first()


def is_enabled(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def start_enrolment(user):
    """The user's unconfirmed authenticator, made now if there is none: its
    secret is shown until a code from it confirms it."""
    device = authenticator(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def secret_text(device):
    """The secret, as an authenticator app takes it typed: base32 in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code(device):
    """The ``otpauth://`` address as a QR code, an SVG data URI."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def make_recovery_codes(user):
    """Replace the user's recovery codes with ten new ones; return them (the
    only time they exist in clear)."""
    codes = [
        get_random_string(RECOVERY_CODE_LENGTH, RECOVERY_CODE_ALPHABET)
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        RecoveryCodeDevice.objects.filter(user=user).delete()
        device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes")
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=device, digest=recovery_digests(code)[0]) for code in codes
        )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def confirm_enrolment(device, code):
    """Turn the authenticator on if ``code`` is its current one."""
    if not device.verify_token(normalize_code(code)):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def verified_device(user, code):
    """The device that accepts ``code`` (the authenticator's, or a recovery
    code, which is then used up), or None."""
    code = normalize_code(code)
    if not code:
        return None
    if code.isdigit():
        device = authenticator(user)
    else:
        device = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    # django-otp's verify_token locks the device's row while it checks, so two
    # requests cannot both use one step's code (or one recovery code).
    return verify_token(user, device.persistent_id, code)


def turn_off(user):
    """Remove the authenticator and the recovery codes."""
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()


def is_recovery(device):
    return isinstance(device, RecoveryCodeDevice)
