"""The answer to a throttled attempt, in one place for every view."""

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
            return throttled_response(request, exception.verdict)
        return None
