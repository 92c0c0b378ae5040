"""What the tests share: the passwords they use, a user, a filled signup
form, and how a browser finds the CSRF token in a form page."""

import re

PASSWORD = "a-long-unusual-passphrase"
NEW_PASSWORD = "another-long-unusual-passphrase"


def make_user(username="ada", email=None, password=PASSWORD, **fields):
    """A user who signed up as ``username`` (``username@example.com``), with
    ``PASSWORD`` unless another is given."""
    from accounts.models import User

    if email is None:
        email = f"{username}@example.com"
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
