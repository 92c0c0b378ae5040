"""Early answers: the probes and the static files, answered by the outer
middleware alone, before Django's request cycle.

A probe or a static file needs only what ``settings.MIDDLEWARE`` does down to
the middleware that answers it (``health.middleware``, whitenoise): the
request id and the access line, the metrics, the security headers, the
request limits. Django's handler would also send ``request_started`` and
``request_finished``, each in a thread (they hand the request's pooled
database connection back, and these requests take none), and start a task
that waits for a disconnect, for an answer that takes microseconds.

``EarlyAnswers`` is a second handler of the same middleware classes, cut
after the last of those two: the same headers and the same log lines, by
construction (a test compares them with Django's own handler). The fast
path's handler sends it the requests it ``answers``: a probe's path, or a
file whitenoise holds; every other request goes through the whole stack. The
middleware above whitenoise therefore runs, for these paths, outside
Django's request signals, and must not use the database (readiness has its
own pool). Under ``ASGI_HANDLER=django`` nothing is answered early.
"""

from contextlib import closing

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed, RequestAborted
from django.core.handlers.asgi import get_script_prefix
from django.urls import set_script_prefix
from whitenoise.middleware import WhiteNoiseMiddleware

from fastpath.handler import EquivalentMiddlewareHandler
from health.paths import PATHS as PROBE_PATHS

HEALTH_MIDDLEWARE = "health.middleware.HealthCheckMiddleware"
STATIC_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"
ANSWERING_MIDDLEWARE = (HEALTH_MIDDLEWARE, STATIC_MIDDLEWARE)


def outer_middleware(paths):
    """``paths`` down to the last middleware that answers early."""
    answering = [i for i, path in enumerate(paths) if path in ANSWERING_MIDDLEWARE]
    return list(paths[: answering[-1] + 1]) if answering else []


class NotUsed:
    """What a middleware below the outer ones loads as: Django skips it."""

    async_capable = True

    def __init__(self, get_response):
        raise MiddlewareNotUsed


class EarlyAnswers(EquivalentMiddlewareHandler):
    def __init__(self):
        self.outer = outer_middleware(settings.MIDDLEWARE)
        self.probe_paths = PROBE_PATHS if HEALTH_MIDDLEWARE in self.outer else frozenset()
        self.static_files = {}  # whitenoise's, once it is loaded (and not looking at the disk)
        super().__init__()

    def middleware_class(self, path, import_string):
        if path not in self.outer:
            return NotUsed
        middleware = super().middleware_class(path, import_string)
        if issubclass(middleware, WhiteNoiseMiddleware):
            return self.static_files_of(middleware)
        return middleware

    def static_files_of(self, whitenoise):
        """``whitenoise``, keeping the table of the files its instance serves."""
        handler = self

        class Whitenoise(whitenoise):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                # In development it finds files on the disk, per request.
                handler.static_files = {} if self.autorefresh else self.files

        return Whitenoise

    def answers(self, scope):
        if scope.get("root_path"):
            return False
        return scope["path"] in self.probe_paths or scope["path"] in self.static_files

    async def _get_response_async(self, request):
        # Below the outer middleware: ``answers`` sends only what they answer.
        raise ImproperlyConfigured(f"{request.path} reached past the middleware that answer early")

    async def handle(self, scope, receive, send):
        """Django's ``ASGIHandler.handle`` without the request signals or the
        task that waits for a disconnect."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            request, response = self.create_request(scope, body_file)
            if request is not None:
                response = await self.get_response_async(request)
            # An HttpResponse of bytes, holding nothing to close but the
            # request's body, which ``closing`` closes.
            await self.send_response(response, send)
