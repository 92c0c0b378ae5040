import time

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic.edit import FormView

from accounts import second_factor
from accounts.forms import LoginForm, PasswordConfirmationForm, SecondFactorCodeForm
from accounts.models import User
from accounts.reauthentication import mark_authenticated
from accounts.redirects import AFTER_LOGOUT, SafeNextMixin
from accounts.throttling import (
    client_address,
    password_change_throttle,
    second_factor_throttle,
    throttled_response,
)
from accounts.views.throttled import AccountThrottleMixin
from audit.events import Event
from audit.trail import record

# Between the password and the code: who, since when, and where to go after.
PENDING_LOGIN_KEY = "accounts_pending_login"
# Seconds the code step waits for its code before the password is asked again.
PENDING_LOGIN_TIMEOUT = 300


class LoginView(SafeNextMixin, auth_views.LoginView):
    """Django's login view, with our form (a username or an email, in any
    spelling). A throttled attempt raises in the backend and gets 429
    (``accounts.middleware``). A ``next`` back at the login page (or signup,
    or logout) leads to ``LOGIN_REDIRECT_URL``.

    For an account with a second factor, the right password is only the
    first step: nobody is logged in yet; the session (a new key) remembers
    who passed it, and the code step (``LoginCodeView``) logs them in.
    """

    form_class = LoginForm
    redirect_authenticated_user = True
    http_method_names = ["get", "post", "head", "options"]

    def form_valid(self, form):
        user = form.get_user()
        if not second_factor.is_enabled(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING_LOGIN_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "at": int(time.time()),
            "next": self.get_success_url(),
        }
        return HttpResponseRedirect(reverse("login_code"))


def pending_login(request):
    """(user, what the password step remembered), or (None, None) when there
    is no login waiting for its code, or it waited too long."""
    pending = request.session.get(PENDING_LOGIN_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_LOGIN_TIMEOUT:
        return None, None
    user = User._default_manager.filter(pk=pending.get("user"), is_active=True).first()
    return (user, pending) if user is not None else (None, None)


@method_decorator([never_cache, sensitive_post_parameters("code")], name="dispatch")
class LoginCodeView(FormView):
    """The second step of a login: a code from the authenticator app, or a
    recovery code (used up). Wrong codes are throttled like passwords, per
    account and per client address."""

    form_class = SecondFactorCodeForm
    template_name = "registration/login_code.html"

    def dispatch(self, request, *args, **kwargs):
        self.user, self.pending = pending_login(request)
        if self.user is None:
            request.session.pop(PENDING_LOGIN_KEY, None)
            messages.info(request, "Log in with your password first.")
            return redirect("login")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        verdict = second_factor_throttle.hit(
            account=f"user:{self.user.pk}", address=client_address(request)
        )
        if verdict.blocked:
            return throttled_response(request, verdict, user=self.user)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        device = second_factor.verified_device(self.user, form.cleaned_data["code"])
        if device is None:
            record(Event.SECOND_FACTOR_FAILED, self.request, self.user, step="login")
            form.add_error("code", "That code is not right, or was used already.")
            return self.form_invalid(form)
        del self.request.session[PENDING_LOGIN_KEY]
        second_factor_throttle.clear("account", f"user:{self.user.pk}")
        # django-otp keeps the device in the session when the user logs in with it.
        self.user.otp_device = device
        login(self.request, self.user, backend=self.pending["backend"])
        if second_factor.is_recovery(device):
            left = device.remaining()
            record(Event.RECOVERY_CODE_USED, self.request, self.user, codes_left=left)
            messages.warning(
                self.request,
                f"You used a recovery code; {left} are left. Make new ones from your profile.",
            )
        return HttpResponseRedirect(self.pending["next"])


class LogoutView(SafeNextMixin, auth_views.LogoutView):
    """Django's logout view; a ``next`` back at a logout page (which answers
    only POST) leads to ``LOGOUT_REDIRECT_URL``."""

    not_destinations = AFTER_LOGOUT


@method_decorator([never_cache, sensitive_post_parameters("password")], name="dispatch")
class ReauthenticateView(LoginRequiredMixin, SafeNextMixin, AccountThrottleMixin, FormView):
    """The password once more, before a sensitive change; then back to it.
    Guesses are throttled per account like those at a password change."""

    form_class = PasswordConfirmationForm
    template_name = "registration/reauthenticate.html"
    next_page = "profile"
    throttle = password_change_throttle

    def get_form_kwargs(self):
        return {"user": self.request.user, **super().get_form_kwargs()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **{self.redirect_field_name: self.get_redirect_url()}, **kwargs
        )

    def form_valid(self, form):
        mark_authenticated(self.request)
        self.forget_attempts()
        record(Event.REAUTHENTICATED, self.request)
        return HttpResponseRedirect(self.get_success_url())
