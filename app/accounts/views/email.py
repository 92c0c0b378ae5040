from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView
from django.views.generic.edit import FormView

from accounts import verification
from accounts.forms import EmailChangeForm
from accounts.identity import canonical_email
from accounts.models import EmailChange, expired_before
from accounts.reauthentication import RecentAuthenticationRequiredMixin
from accounts.tasks import enqueue_after_commit, send_email_change_notice, send_email_verification
from accounts.throttling import (
    email_verification_throttle,
    password_change_throttle,
    throttled_response,
)
from accounts.views.throttled import AccountThrottleMixin
from audit.events import Event
from audit.trail import record


class EmailVerificationNeededView(LoginRequiredMixin, TemplateView):
    """What an account whose address is not verified sees, whatever it asks
    for (``accounts.middleware``): where the link went, and a button to send
    it again."""

    template_name = "registration/email_verification_needed.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.email_verified:
            return redirect("profile")
        return super().dispatch(request, *args, **kwargs)


class ResendVerificationView(LoginRequiredMixin, View):
    """Send the link again, at most a few times an hour per account."""

    http_method_names = ["post"]

    def post(self, request):
        verdict = email_verification_throttle.hit(account=f"user:{request.user.pk}")
        if verdict.blocked:
            return throttled_response(request, verdict)
        if verification.address_to_verify(request.user) is not None:
            enqueue_after_commit(send_email_verification, request, user_id=request.user.pk)
            messages.success(request, "We sent the link again.")
        # A verified account (resending for a new address) goes on to its profile.
        return redirect("email_verification_needed")


@method_decorator(never_cache, name="dispatch")
class VerifyEmailView(View):
    """The emailed link. Opening it shows a button; only pressing it
    verifies, so a mail scanner that opens links verifies nothing. The link
    works from any browser, logged in or not: holding it is the proof."""

    template_name = "registration/verify_email.html"

    def dispatch(self, request, *args, token, **kwargs):
        try:
            self.user, self.email = verification.check_token(token)
        except verification.ExpiredLink:
            return self.refused(request, expired=True)
        except verification.InvalidLink:
            return self.refused(request, expired=False)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"email": self.email})

    def post(self, request):
        user, email = self.user, self.email
        try:
            old_email = verification.confirm(user)
        except IntegrityError:
            # Another account took the address since the link was sent.
            EmailChange.objects.filter(user=user).delete()
            return self.refused(request, expired=False, taken=True)
        if old_email is None:
            record(Event.EMAIL_VERIFIED, request, user)
        else:
            record(Event.EMAIL_CHANGED, request, user)
        messages.success(request, f"Your email address {email} is verified.")
        if request.user.is_authenticated and request.user.pk == user.pk:
            return redirect("profile")
        return redirect("login")

    def refused(self, request, expired, taken=False):
        context = {"expired": expired, "taken": taken}
        return render(request, "registration/verify_email_refused.html", context, status=400)


@method_decorator([never_cache, sensitive_post_parameters("password")], name="dispatch")
class EmailChangeView(RecentAuthenticationRequiredMixin, AccountThrottleMixin, FormView):
    """A new address, with the password. It replaces the old one only once
    its owner follows the link mailed to it; the old address is told, with
    a link to reset the password (which cancels the change)."""

    form_class = EmailChangeForm
    template_name = "registration/email_change_form.html"
    throttle = password_change_throttle

    def get_form_kwargs(self):
        return {"user": self.request.user, **super().get_form_kwargs()}

    def form_valid(self, form):
        user = self.request.user
        email = form.cleaned_data["email"]
        try:
            with transaction.atomic():
                # Another's claim on the address whose link has expired holds
                # nothing (the form refused a live one).
                EmailChange.objects.filter(
                    email_canonical=canonical_email(email), requested_at__lte=expired_before()
                ).exclude(user=user).delete()
                EmailChange.objects.update_or_create(
                    user=user, defaults={"email": email, "requested_at": timezone.now()}
                )
        except IntegrityError:
            form.add_error("email", "A user with that email address already exists.")
            return self.form_invalid(form)
        self.forget_attempts()
        record(Event.EMAIL_CHANGE_REQUESTED, self.request)
        enqueue_after_commit(send_email_verification, self.request, user_id=user.pk)
        enqueue_after_commit(
            send_email_change_notice, self.request, user_id=user.pk, old_email=user.email
        )
        messages.success(
            self.request, f"We sent a link to {email}. Your address changes once you follow it."
        )
        return HttpResponseRedirect(reverse("profile"))
