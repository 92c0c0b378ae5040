from django.contrib import admin

from accounts.throttling import throttled_response


class AdminSite(admin.AdminSite):
    """Django's admin site, whose login answers 429 when throttled, like ours.

    The throttle itself sits in the authentication backend, so the admin's
    login counts the same attempts; this only gives the same answer.
    """

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        verdict = getattr(request, "login_throttled", None)
        if verdict is not None:
            return throttled_response(request, verdict)
        return response
