from django.contrib import messages
from django.contrib.auth import login
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.views.generic import CreateView

from accounts.forms import SignupForm
from accounts.redirects import SafeNextMixin
from accounts.tasks import enqueue_after_commit, send_email_verification
from accounts.throttling import client_address, signup_throttle, throttled_response
from audit.events import Event
from audit.trail import record


class SignupView(SafeNextMixin, CreateView):
    """Create an account, log it in, and mail the link that verifies its
    address; until it is followed, the account sees only the page that says
    so (``accounts.middleware``).

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
        record(Event.SIGNUP, self.request, self.object)
        login(self.request, self.object, backend="accounts.backends.UsernameOrEmailBackend")
        enqueue_after_commit(send_email_verification, self.request, user_id=self.object.pk)
        messages.success(self.request, "Welcome! Your account is ready.")
        return HttpResponseRedirect(self.get_success_url())
