from django.contrib import admin

from accounts.throttling import throttled_response
from limits.admission import hashes_passwords


class AdminSite(admin.AdminSite):
    """Django's admin site, whose login answers 429 when throttled, like ours,
    and takes its turn to hash a password like ours (``limits.admission``).

    The throttle itself sits in the authentication backend, so the admin's
    login counts the same attempts; this only gives the same answer.
    """

    async def login(self, request, extra_context=None):
        return await hashes_passwords(self.throttled_login)(request, extra_context)

    def throttled_login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        verdict = getattr(request, "login_throttled", None)
        if verdict is not None:
            return throttled_response(request, verdict)
        return response
