"""What the tests share: the passwords they use, a user, a filled signup
form, and how a browser finds the CSRF token in a form page."""

import re

PASSWORD = "a-long-unusual-passphrase"
NEW_PASSWORD = "another-long-unusual-passphrase"


def make_user(username="ada", email=None, password=PASSWORD, **fields):
    """A user who signed up as ``username`` (``username@example.com``), with
    ``PASSWORD`` unless another is given, and verified the address (pass
    ``email_verified_at=None`` for one who has not)."""
    from django.utils import timezone

    from accounts.models import User

    if email is None:
        email = f"{username}@example.com"
    fields.setdefault("email_verified_at", timezone.now())
    return User.objects.create_user(username, email, password, **fields)


def signup_form(username="grace", **fields):
    """The signup form as a person fills it in, changed by ``fields``."""
    return {
        "username": username,
        "email": f"{username}@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **fields,
    }


_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token_in(page):
    """The CSRF token of the form in ``page`` (HTML text)."""
    found = _CSRF_FIELD.search(page)
    if found is None:
        raise AssertionError("the page holds no form with a CSRF token")
    return found.group(1)


def give_second_factor(user):
    """Turn on an authenticator for ``user``; return the device, whose
    ``bin_key`` computes its codes (``code_of``)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code_of(device, steps_from_now=0):
    """The code ``device`` shows now (or that many steps of 30 s away), as an
    authenticator app computes it (django-otp's TOTP)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_from_now * device.step
    return f"{totp.token():0{device.digits}d}"


def log_in_with_second_factor(client, user):
    """Log ``user`` in on ``client`` as if with the authenticator's code:
    what the admin asks of staff."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or give_second_factor(
        user
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def make_authentication_stale(client):
    """Age the client's last authentication past ``REAUTHENTICATION_TIMEOUT``."""
    from django.conf import settings

    from accounts.reauthentication import SESSION_KEY

    session = client.session
    session[SESSION_KEY] -= settings.REAUTHENTICATION_TIMEOUT + 1
    session.save()


def link_in(message, name):
    """The path of the first link in ``message`` (an email) to the URL named
    ``name`` (``verify_email``, ``password_reset_confirm``…)."""
    from django.urls import resolve

    for path in re.findall(r"https?://[^/\s]+(/\S*)", message.body):
        if resolve(path).url_name == name:
            return path
    raise AssertionError(f"no link to {name} in the mail:\n{message.body}")
