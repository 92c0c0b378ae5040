"""Django's ASGI request path without the thread hops it does not need.

Under ASGI, Django runs every ``MiddlewareMixin`` hook in a worker thread
(``sync_to_async``): two hops per middleware, sixteen per request with the
default stack, each a trip through the GIL and asgiref's bookkeeping. Most of
those hooks only read headers and set attributes. ``ASGIHandler`` below loads,
in place of each Django (and whitenoise) middleware named in
``settings.MIDDLEWARE``, a subclass with an async path that calls those hooks
on the event loop, and goes to a thread only where I/O can happen:

- saving a session that was modified (SessionMiddleware);
- checking CSRF on an unsafe method, which reads the form (CsrfViewMiddleware);
- storing messages that were used or added (MessageMiddleware).

``settings.MIDDLEWARE`` keeps Django's own paths (so that ``check --deploy``
recognises them), and everything but this handler (the test client, WSGI,
management commands) gets Django's own classes, unchanged.

It also lets a request reuse a one-thread executor from a pool instead of
starting a thread of its own (``ThreadSensitiveContext(executor=…)``, asgiref
3.13): still one request per thread at a time, so two requests never share a
thread or a database connection at once.

Everything here leans on Django, asgiref and whitenoise internals; the versions
it was checked against are ``CHECKED_AGAINST``, and
``ops/tests/test_fastpath.py`` fails when an installed version changes.
"""

import queue
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import (
    ThreadSensitiveContext,
    iscoroutinefunction,
    markcoroutinefunction,
    sync_to_async,
)
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.http import HttpResponse
from django.middleware import clickjacking, common, csp, csrf, security
from whitenoise import middleware as whitenoise

from ops.limits import RequestLimitsHandlerMixin

CHECKED_AGAINST = {"django": "6.1", "asgiref": "3.13", "whitenoise": "6.12"}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class OnLoopMixin:
    """Run a MiddlewareMixin's in-memory hooks on the event loop.

    Replaces ``MiddlewareMixin.__acall__``, which sends both hooks to a
    thread. ``response_needs_thread`` names the responses whose
    ``process_response`` may do I/O; those still go to a thread.
    """

    def response_needs_thread(self, request, response):
        return False

    async def __acall__(self, request):
        response = None
        if hasattr(self, "process_request"):
            response = self.process_request(request)
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            if self.response_needs_thread(request, response):
                response = await sync_to_async(self.process_response, thread_sensitive=True)(
                    request, response
                )
            else:
                response = self.process_response(request, response)
        return response


class SecurityMiddleware(OnLoopMixin, security.SecurityMiddleware):
    pass


class ContentSecurityPolicyMiddleware(OnLoopMixin, csp.ContentSecurityPolicyMiddleware):
    pass


class CommonMiddleware(OnLoopMixin, common.CommonMiddleware):
    pass


class AuthenticationMiddleware(OnLoopMixin, auth.AuthenticationMiddleware):
    pass


class XFrameOptionsMiddleware(OnLoopMixin, clickjacking.XFrameOptionsMiddleware):
    pass


class SessionMiddleware(OnLoopMixin, sessions.SessionMiddleware):
    """The session is created lazily; only saving it touches the database."""

    def response_needs_thread(self, request, response):
        session = request.session
        return session.modified or (settings.SESSION_SAVE_EVERY_REQUEST and not session.is_empty())


class MessageMiddleware(OnLoopMixin, messages.MessageMiddleware):
    """Storing messages may write the session; only used or added ones are stored."""

    def response_needs_thread(self, request, response):
        storage = getattr(request, "_messages", None)
        return storage is not None and (storage.used or storage.added_new)


class CsrfViewMiddleware(OnLoopMixin, csrf.CsrfViewMiddleware):
    """Safe methods are accepted on the loop; unsafe ones read the form in a thread."""

    def __init__(self, get_response):
        super().__init__(get_response)
        if self.async_mode:
            # Django adapts each process_view to the handler's mode when it
            # loads the middleware; an async one is awaited on the loop.
            self.process_view = self.aprocess_view

    async def aprocess_view(self, request, callback, callback_args, callback_kwargs):
        view = super().process_view
        if request.method in SAFE_METHODS:
            return view(request, callback, callback_args, callback_kwargs)
        return await sync_to_async(view, thread_sensitive=True)(
            request, callback, callback_args, callback_kwargs
        )


class WhiteNoiseMiddleware(whitenoise.WhiteNoiseMiddleware):
    """whitenoise, async-capable.

    whitenoise is sync-only, so under ASGI Django would run it in a thread and
    the whole rest of the stack back on the loop through ``async_to_sync``.
    Its lookup is a dictionary; a hit is answered with the file's bytes (small,
    hashed, in the page cache) instead of a sync file iterator that Django
    would drain in a thread.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, settings=settings):
        super().__init__(get_response, settings)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        if self.autorefresh:  # development: looks at the disk
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is None:
            return await self.get_response(request)
        return self.serve_from_memory(static_file, request)

    @staticmethod
    def serve_from_memory(static_file, request):
        found = static_file.get_response(request.method, request.META)
        body = b""
        if found.file is not None:
            with found.file:
                body = found.file.read()
        response = HttpResponse(body, status=int(found.status))
        del response["Content-Type"]
        for key, value in found.headers:
            response[key] = value
        return response


class ExecutorPool:
    """One-thread executors, lent to one request at a time and kept for reuse."""

    def __init__(self, keep=64):
        self.idle = queue.LifoQueue(maxsize=keep)

    def take(self):
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give_back(self, executor):
        try:
            self.idle.put_nowait(executor)
        except queue.Full:
            executor.shutdown(wait=False)


# The class loaded in place of each path of settings.MIDDLEWARE.
ASYNC_EQUIVALENTS = {
    "django.middleware.security.SecurityMiddleware": SecurityMiddleware,
    "django.middleware.csp.ContentSecurityPolicyMiddleware": ContentSecurityPolicyMiddleware,
    "whitenoise.middleware.WhiteNoiseMiddleware": WhiteNoiseMiddleware,
    "django.contrib.sessions.middleware.SessionMiddleware": SessionMiddleware,
    "django.middleware.common.CommonMiddleware": CommonMiddleware,
    "django.middleware.csrf.CsrfViewMiddleware": CsrfViewMiddleware,
    "django.contrib.auth.middleware.AuthenticationMiddleware": AuthenticationMiddleware,
    "django.contrib.messages.middleware.MessageMiddleware": MessageMiddleware,
    "django.middleware.clickjacking.XFrameOptionsMiddleware": XFrameOptionsMiddleware,
}


class ASGIHandler(RequestLimitsHandlerMixin, DjangoASGIHandler):
    """Django's handler: the middleware above, each request's thread taken
    from a pool, and the request's body bounded (``ops.limits``)."""

    def __init__(self):
        super().__init__()
        self.executors = ExecutorPool()

    def load_middleware(self, is_async=False):
        # BaseHandler.load_middleware imports each path with the module-level
        # import_string of django.core.handlers.base; swap the equivalents in
        # for the duration (start-up, before any request).
        original = base.import_string

        def import_equivalent(path):
            return ASYNC_EQUIVALENTS.get(path) or original(path)

        base.import_string = import_equivalent
        try:
            super().load_middleware(is_async)
        finally:
            base.import_string = original

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.executors.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.executors.give_back(executor)
