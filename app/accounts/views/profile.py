from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from accounts import second_factor, verification

RECENT_EVENTS = 20


class ProfileView(LoginRequiredMixin, TemplateView):
    """The account: its address (and a new one waiting for its link), the
    second factor, and its most recent security events."""

    template_name = "registration/profile.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            pending_email=getattr(verification.pending_change(user), "email", None),
            second_factor_on=second_factor.is_enabled(user),
            security_events=user.security_events.all()[:RECENT_EVENTS],
            **kwargs,
        )
