from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.views.generic import CreateView, TemplateView
from django.views.generic.edit import FormView

from accounts.forms import LoginForm, PasswordResetForm, SignupForm
from accounts.redirects import AFTER_LOGOUT, SafeNextMixin
from accounts.tasks import send_password_reset
from accounts.throttling import (
    client_address,
    password_change_throttle,
    password_reset_throttle,
    signup_throttle,
    throttled_response,
)


class SignupView(SafeNextMixin, CreateView):
    """Create an account, log it in, and go to a safe ``next`` or the profile.

    Attempts are counted per client address before the form is checked (and
    so before the password is hashed); over the limit, 429.
    """

    form_class = SignupForm
    template_name = "registration/signup.html"
    next_page = reverse_lazy("profile")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return HttpResponseRedirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        verdict = signup_throttle.hit(address=client_address(request))
        if verdict.blocked:
            return throttled_response(request, verdict)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **{self.redirect_field_name: self.get_redirect_url()}, **kwargs
        )

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = form.save()
        except IntegrityError:
            # Another signup took the name or email between the form's check
            # and the insert; the database constraint caught it.
            form.add_error(None, "That username or email was taken a moment ago. Try another.")
            return self.form_invalid(form)
        login(self.request, self.object, backend="accounts.backends.UsernameOrEmailBackend")
        messages.success(self.request, "Welcome! Your account is ready.")
        return HttpResponseRedirect(self.get_success_url())


class LoginView(SafeNextMixin, auth_views.LoginView):
    """Django's login view, with our form (a username or an email, in any
    spelling). A throttled attempt raises in the backend and gets 429
    (``accounts.middleware``). A ``next`` back at the login page (or signup,
    or logout) leads to ``LOGIN_REDIRECT_URL``."""

    form_class = LoginForm
    redirect_authenticated_user = True
    http_method_names = ["get", "post", "head", "options"]


class LogoutView(SafeNextMixin, auth_views.LogoutView):
    """Django's logout view; a ``next`` back at a logout page (which answers
    only POST) leads to ``LOGOUT_REDIRECT_URL``."""

    not_destinations = AFTER_LOGOUT


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, throttled per account: each attempt is
    counted before the old password is checked; over the limit, 429, even
    with the right one. A change clears the account's count."""

    def account(self):
        return f"user:{self.request.user.pk}"

    def post(self, request, *args, **kwargs):
        verdict = password_change_throttle.hit(account=self.account())
        if verdict.blocked:
            return throttled_response(request, verdict)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        password_change_throttle.clear("account", self.account())
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, throttled per email and per client address, with
    the sending in a task.

    The email is counted whether or not an account has it, so the throttle
    tells an attacker nothing about which addresses are registered. Nor does
    the time the answer takes: the request only enqueues the address (once
    the transaction commits), known or not; the worker looks for the account
    and mails the link (``accounts.tasks.send_password_reset``), so SMTP
    never holds a request, and a failure to send is retried there.
    """

    form_class = PasswordResetForm

    def form_valid(self, form):
        verdict = password_reset_throttle.hit(
            email=form.cleaned_data["email"], address=client_address(self.request)
        )
        if verdict.blocked:
            return throttled_response(self.request, verdict)
        transaction.on_commit(
            partial(
                send_password_reset.enqueue,
                email=form.cleaned_data["email"],
                domain=self.request.get_host(),
                use_https=self.request.is_secure(),
            )
        )
        # Django's form_valid would send the mail here (form.save()).
        return FormView.form_valid(self, form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs):
        minutes = settings.PASSWORD_RESET_TIMEOUT // 60
        return super().get_context_data(password_reset_timeout_minutes=minutes, **kwargs)


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "registration/profile.html"
