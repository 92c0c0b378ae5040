from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.generic import CreateView, TemplateView

from accounts.forms import LoginForm, SignupForm
from accounts.throttling import client_address, password_reset_throttle, throttled_response


class SignupView(CreateView):
    """Create an account, log it in, and go to the profile."""

    form_class = SignupForm
    template_name = "registration/signup.html"
    success_url = reverse_lazy("profile")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(self.success_url)
        return super().dispatch(request, *args, **kwargs)

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
        return redirect(self.get_success_url())


class LoginView(auth_views.LoginView):
    """Django's login view; answers 429 while the account or address is throttled."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        verdict = getattr(self.request, "login_throttled", None)
        if verdict is not None:
            return throttled_response(self.request, verdict)
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, throttled per email and per client address.

    The email is counted whether or not an account has it, so the throttle
    tells an attacker nothing about which addresses are registered.
    """

    def form_valid(self, form):
        verdict = password_reset_throttle.hit(
            email=form.cleaned_data["email"], address=client_address(self.request)
        )
        if verdict.blocked:
            return throttled_response(self.request, verdict)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs):
        minutes = settings.PASSWORD_RESET_TIMEOUT // 60
        return super().get_context_data(password_reset_timeout_minutes=minutes, **kwargs)


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "registration/profile.html"
