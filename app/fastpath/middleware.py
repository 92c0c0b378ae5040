"""Async paths for Django's and whitenoise's middleware: the same hooks, on
the event loop, with a thread only where I/O can happen (``fastpath``).

Each class subclasses the one it replaces and changes only its async call;
under the test client or WSGI it is never loaded.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpResponse
from django.middleware import clickjacking, common, csp, csrf, security
from django.utils.csp import CSP, build_policy
from whitenoise import middleware as whitenoise

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
    """Django's, with the policy of a response that used no nonce built once
    per configuration instead of once per response (a static file, most
    pages): without a nonce it depends on the configuration alone."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.policies = {}  # id(config) -> (config, its policy with no nonce)

    def policy(self, config, nonce):
        if nonce:  # generated for this response: in its policy
            return build_policy(config, nonce)
        cached = self.policies.get(id(config))
        if cached is None or cached[0] is not config:
            # The config is kept with its policy, so its id is not reused.
            cached = self.policies[id(config)] = (config, build_policy(config))
        return cached[1]

    def process_response(self, request, response):
        # Django's process_response, with self.policy for build_policy.
        nonce = csp.get_nonce(request)
        sentinel = object()
        if (csp_config := getattr(response, "_csp_config", sentinel)) is sentinel:
            csp_config = settings.SECURE_CSP
        if (csp_ro_config := getattr(response, "_csp_ro_config", sentinel)) is sentinel:
            csp_ro_config = settings.SECURE_CSP_REPORT_ONLY
        for header, config in [
            (CSP.HEADER_ENFORCE, csp_config),
            (CSP.HEADER_REPORT_ONLY, csp_ro_config),
        ]:
            if config and header not in response:
                response.headers[str(header)] = self.policy(config, nonce)
        return response


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
