from accounts.throttling import throttled_response
from audit.events import Event
from audit.trail import record

# The fields in which our forms and Django's ask for the password again.
PASSWORD_FIELDS = ("password", "old_password")


class AccountThrottleMixin:
    """Each post of the logged-in user is counted against their account by
    ``throttle`` before the view checks anything in it; over the limit, 429,
    even when what was sent is right. ``forget_attempts`` clears the count
    after a success. A wrong password among the attempts is a security
    event (``password_failed``, with the URL's name)."""

    throttle = None

    def throttled_account(self):
        return f"user:{self.request.user.pk}"

    def post(self, request, *args, **kwargs):
        verdict = self.throttle.hit(account=self.throttled_account())
        if verdict.blocked:
            return throttled_response(request, verdict)
        return super().post(request, *args, **kwargs)

    def forget_attempts(self):
        self.throttle.clear("account", self.throttled_account())

    def form_invalid(self, form):
        if any(form.has_error(field, "password_incorrect") for field in PASSWORD_FIELDS):
            record(Event.PASSWORD_FAILED, self.request, view=self.request.resolver_match.url_name)
        return super().form_invalid(form)
