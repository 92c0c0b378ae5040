"""Every login, whichever view made it, counts as a fresh authentication
(``accounts.reauthentication``)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts.reauthentication import mark_authenticated


@receiver(user_logged_in, dispatch_uid="accounts.authenticated_at")
def authenticated_now(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        mark_authenticated(request)
