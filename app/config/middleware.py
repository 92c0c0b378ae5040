"""The base of the service's own middleware: each runs on the event loop
under the server, and in the caller's thread under the test client or WSGI."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction


class AsyncCapableMiddleware:
    """A middleware that runs on the event loop under ASGI and in the caller's
    thread otherwise: subclasses write ``handle`` and ``ahandle``."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.ahandle(request)
        return self.handle(request)
