"""The accounts' middleware: the answer to a throttled attempt, in one place
for every view; and the page an account with an unverified address sees."""

from django.shortcuts import redirect

from accounts.throttling import Throttled, throttled_response
from config.middleware import AsyncCapableMiddleware


class ThrottledMiddleware(AsyncCapableMiddleware):
    """Answer ``Throttled``, raised by a view (or the authentication backend
    under it: our login, the admin's), with the 429 page and ``Retry-After``."""

    def handle(self, request):
        return self.get_response(request)

    async def ahandle(self, request):
        return await self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Throttled):
            return throttled_response(request, exception.verdict, exception.user)
        return None


class VerifiedEmailRequiredMiddleware(AsyncCapableMiddleware):
    """A logged-in user whose address is not verified is sent to the page
    that says so, from every view but those needed to verify it or leave.

    It looks at the view the URL resolved to (``process_view``), so a path
    that no view answers still gets its 404, and pages that need no login
    (health, static files) are answered before it.
    """

    open_views = frozenset(
        {
            "email_verification_needed",
            "email_verification_resend",
            "verify_email",
            "logout",
        }
    )

    def __init__(self, get_response):
        super().__init__(get_response)
        if self.is_async:
            # Django adapts each process_view to the handler's mode when it
            # loads the middleware; a coroutine is awaited on the loop.
            self.process_view = self.aprocess_view

    def handle(self, request):
        return self.get_response(request)

    async def ahandle(self, request):
        return await self.get_response(request)

    def is_open(self, request):
        return request.resolver_match.view_name in self.open_views

    def process_view(self, request, view_func, view_args, view_kwargs):
        if self.is_open(request):
            return None
        user = request.user
        if user.is_authenticated and not user.email_verified:
            return redirect("email_verification_needed")
        return None

    async def aprocess_view(self, request, view_func, view_args, view_kwargs):
        if self.is_open(request):
            return None
        user = await request.auser()
        if user.is_authenticated and not user.email_verified:
            return redirect("email_verification_needed")
        return None
