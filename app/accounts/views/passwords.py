from django.conf import settings
from django.contrib.auth import views as auth_views
from django.views.generic.edit import FormView

from accounts.forms import PasswordResetForm
from accounts.models import EmailChange
from accounts.reauthentication import RecentAuthenticationRequiredMixin, mark_authenticated
from accounts.tasks import enqueue_after_commit, send_password_reset
from accounts.throttling import (
    client_address,
    password_change_throttle,
    password_reset_throttle,
    throttled_response,
)
from accounts.views.throttled import AccountThrottleMixin
from audit.events import Event
from audit.trail import record


class PasswordChangeView(
    RecentAuthenticationRequiredMixin, AccountThrottleMixin, auth_views.PasswordChangeView
):
    """Django's password change, after a recent authentication, throttled
    per account: each attempt is counted before the old password is
    checked; over the limit, 429, even with the right one. A change clears
    the account's count."""

    throttle = password_change_throttle

    def form_valid(self, form):
        response = super().form_valid(form)
        self.forget_attempts()
        mark_authenticated(self.request)
        record(Event.PASSWORD_CHANGED, self.request)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, throttled per email and per client address, with
    the sending in a task.

    The email is counted whether or not an account has it, so the throttle
    tells an attacker nothing about which addresses are registered. Nor does
    the time the answer takes: the request only enqueues the address (once
    the transaction commits), known or not, verified or not; the worker
    looks for an account with that address verified and mails the link
    (``accounts.tasks.send_password_reset``), so SMTP never holds a request,
    and a failure to send is retried there.
    """

    form_class = PasswordResetForm

    def form_valid(self, form):
        verdict = password_reset_throttle.hit(
            email=form.cleaned_data["email"], address=client_address(self.request)
        )
        if verdict.blocked:
            return throttled_response(self.request, verdict)
        enqueue_after_commit(send_password_reset, self.request, email=form.cleaned_data["email"])
        # Django's form_valid would send the mail here (form.save()).
        return FormView.form_valid(self, form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs):
        minutes = settings.PASSWORD_RESET_TIMEOUT // 60
        return super().get_context_data(password_reset_timeout_minutes=minutes, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's: a new password from the emailed link. It also cancels a
    change of address waiting for its link (its link dies with the old
    password anyway), since the person who reset may not be who asked."""

    def form_valid(self, form):
        response = super().form_valid(form)
        EmailChange.objects.filter(user=form.user).delete()
        record(Event.PASSWORD_RESET, self.request, form.user)
        return response
