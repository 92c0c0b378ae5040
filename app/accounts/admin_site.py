from django.contrib import admin

from limits.admission import hashes_passwords


class AdminSite(admin.AdminSite):
    """Django's admin site, whose login takes its turn to hash a password like
    ours (``limits.admission``).

    The login throttle sits in the authentication backend, so the admin's
    login counts the same attempts and gets the same 429
    (``accounts.middleware``).
    """

    async def login(self, request, extra_context=None):
        return await hashes_passwords(super().login)(request, extra_context)
