from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic.edit import FormView
from django_otp import login as otp_login

from accounts import second_factor
from accounts.forms import SecondFactorCodeForm, SecondFactorOffForm
from accounts.reauthentication import RecentAuthenticationRequiredMixin
from accounts.throttling import second_factor_throttle
from accounts.views.throttled import AccountThrottleMixin
from audit.events import Event
from audit.trail import record

RECOVERY_CODES_TEMPLATE = "registration/two_factor_recovery_codes.html"


def show_recovery_codes(request, codes):
    """The one page that ever shows the codes; nothing keeps a copy."""
    return render(request, RECOVERY_CODES_TEMPLATE, {"codes": codes})


class ThrottledCodesMixin(AccountThrottleMixin):
    """Each post is counted per account before its code is checked."""

    throttle = second_factor_throttle


@method_decorator([never_cache, sensitive_post_parameters("code")], name="dispatch")
class SecondFactorEnableView(RecentAuthenticationRequiredMixin, ThrottledCodesMixin, FormView):
    """Turn the authenticator on: its QR code and secret, then a code from
    it to confirm; then the ten recovery codes, shown once."""

    form_class = SecondFactorCodeForm
    template_name = "registration/two_factor_enable.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and second_factor.is_enabled(request.user):
            return redirect("profile")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        device = second_factor.start_enrolment(self.request.user)
        return super().get_context_data(
            qr_code=second_factor.qr_code(device),
            secret=second_factor.secret_text(device),
            **kwargs,
        )

    def form_valid(self, form):
        device = second_factor.start_enrolment(self.request.user)
        if not second_factor.confirm_enrolment(device, form.cleaned_data["code"]):
            record(Event.SECOND_FACTOR_FAILED, self.request, step="enable")
            form.add_error("code", "That code is not right. Check the time on your phone.")
            return self.form_invalid(form)
        self.forget_attempts()
        otp_login(self.request, device)  # this session has now used it
        codes = second_factor.make_recovery_codes(self.request.user)
        record(Event.SECOND_FACTOR_ENABLED, self.request)
        return show_recovery_codes(self.request, codes)


@method_decorator([never_cache, sensitive_post_parameters("password", "code")], name="dispatch")
class SecondFactorDisableView(RecentAuthenticationRequiredMixin, ThrottledCodesMixin, FormView):
    """Turn the second factor off: the password and a code (or a recovery code)."""

    form_class = SecondFactorOffForm
    template_name = "registration/two_factor_disable.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not second_factor.is_enabled(request.user):
            return redirect("profile")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {"user": self.request.user, **super().get_form_kwargs()}

    def form_valid(self, form):
        user = self.request.user
        if second_factor.verified_device(user, form.cleaned_data["code"]) is None:
            record(Event.SECOND_FACTOR_FAILED, self.request, step="disable")
            form.add_error("code", "That code is not right, or was used already.")
            return self.form_invalid(form)
        second_factor.turn_off(user)
        self.forget_attempts()
        record(Event.SECOND_FACTOR_DISABLED, self.request)
        messages.success(self.request, "The second factor is off.")
        return HttpResponseRedirect(reverse("profile"))


@method_decorator(never_cache, name="dispatch")
class RecoveryCodesView(RecentAuthenticationRequiredMixin, View):
    """Ten new recovery codes in place of the old ones."""

    def get(self, request):
        return render(request, "registration/two_factor_new_codes.html")

    def post(self, request):
        if not second_factor.is_enabled(request.user):
            return redirect("profile")
        codes = second_factor.make_recovery_codes(request.user)
        record(Event.RECOVERY_CODES_REPLACED, request)
        return show_recovery_codes(request, codes)
