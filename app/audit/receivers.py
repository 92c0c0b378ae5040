"""Logins and logouts, from Django's own signals, so that every way in and
out (our views, the admin's logout, ``Client.login`` in a shell) is recorded."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from audit.events import Event
from audit.trail import record


@receiver(user_logged_in, dispatch_uid="audit.login")
def logged_in(sender, request, user, **kwargs):
    device = getattr(user, "otp_device", None)
    second_factor = type(device)._meta.model_name if device is not None else None
    record(Event.LOGIN, request, user, second_factor=second_factor)


@receiver(user_logged_out, dispatch_uid="audit.logout")
def logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(Event.LOGOUT, request, user)
