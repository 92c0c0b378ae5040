from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse

from audit.events import Event
from audit.trail import record

# Set in a session once its first admin page is served: one "admin_login"
# event per login, not one per page.
ADMIN_SEEN_KEY = "audit_admin_seen"


class AdminSite(admin.AdminSite):
    """Django's admin site, behind our login and a second factor.

    Only a staff user who logged in with a second factor in this session
    (django-otp's ``is_verified()``) may use it, as django-otp's own
    ``OTPAdminSite`` requires. There is no second login form: the admin's
    login page sends a visitor to ours (with its throttles, the code step
    and the audit trail) and back, and tells a logged-in user who may not
    come in why.
    """

    def has_permission(self, request):
        allowed = super().has_permission(request) and request.user.is_verified()
        if allowed and not request.session.get(ADMIN_SEEN_KEY):
            request.session[ADMIN_SEEN_KEY] = True
            record(Event.ADMIN_LOGIN, request)
        return allowed

    def login(self, request, extra_context=None):
        user = request.user
        if not user.is_authenticated:
            target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
            return redirect_to_login(target, reverse("login"))
        if self.has_permission(request):
            return redirect("admin:index")
        context = {"staff": user.is_active and user.is_staff}
        return render(request, "admin_refused.html", context, status=403)
