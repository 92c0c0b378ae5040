"""Sensitive changes (the email, the password, the second factor) ask for
the password again when the last authentication is older than
``REAUTHENTICATION_TIMEOUT`` seconds, so a session left open on a shared
computer cannot take the account over."""

import time

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

SESSION_KEY = "accounts_authenticated_at"


def mark_authenticated(request):
    """The user proved who they are just now (login, or the password again)."""
    request.session[SESSION_KEY] = int(time.time())


def is_recent(request):
    at = request.session.get(SESSION_KEY)
    return isinstance(at, int) and time.time() - at <= settings.REAUTHENTICATION_TIMEOUT


class RecentAuthenticationRequiredMixin(LoginRequiredMixin):
    """Logged in, and recently: else to the page that asks for the password,
    which comes back here."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_recent(request):
            return redirect_to_login(request.get_full_path(), reverse("reauthenticate"))
        return super().dispatch(request, *args, **kwargs)
