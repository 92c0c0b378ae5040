"""The outermost middleware: request ids, the access log, and health answers.

Both classes run on the event loop under ASGI (and plainly under the test
client): they do no I/O of their own except the readiness check, which goes
to a thread like any other database work.
"""

import json
import logging
import re
import time
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpResponse

from ops import health
from ops.logging import request_id_var

access_logger = logging.getLogger("ops.access")

# A request id from outside is kept only if it is a short, plain token, so that
# nobody can write arbitrary text into our logs through the header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


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


class RequestLogMiddleware(AsyncCapableMiddleware):
    """Give each request an id, return it in ``X-Request-ID``, and log one
    access line: method, path (never the query string), status, duration."""

    def start(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Not reset on the way out: Django logs a failed request's line
        # ("Not Found: …") after the middleware has returned. Under ASGI each
        # request runs in a context of its own; elsewhere the next request
        # sets its own id before anything is logged.
        request_id_var.set(request_id)
        return time.perf_counter()

    def finish(self, request, response, started):
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response["X-Request-ID"] = request.request_id
        level = logging.DEBUG if request.path in health.PATHS else logging.INFO
        access_logger.log(
            level,
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "client": request.META.get("REMOTE_ADDR"),
            },
        )
        return response

    def handle(self, request):
        started = self.start(request)
        return self.finish(request, self.get_response(request), started)

    async def ahandle(self, request):
        started = self.start(request)
        return self.finish(request, await self.get_response(request), started)


class HealthCheckMiddleware(AsyncCapableMiddleware):
    """Answer ``/healthz`` and ``/readyz`` before any other middleware.

    Probes call with a bare pod IP as ``Host`` and over plain HTTP, so these
    answers come before ``ALLOWED_HOSTS`` is checked (CommonMiddleware) and
    before the HTTPS redirect (SecurityMiddleware).
    """

    def handle(self, request):
        if request.path == health.LIVENESS_PATH:
            return liveness_response()
        if request.path == health.READINESS_PATH:
            return readiness_response(*health.readiness())
        return self.get_response(request)

    async def ahandle(self, request):
        if request.path == health.LIVENESS_PATH:
            return liveness_response()
        if request.path == health.READINESS_PATH:
            return readiness_response(*await health.areadiness())
        return await self.get_response(request)


def liveness_response():
    response = HttpResponse("ok\n", content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response


def readiness_response(ready, checks):
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    response = HttpResponse(
        json.dumps(body), content_type="application/json", status=200 if ready else 503
    )
    response["Cache-Control"] = "no-store"
    return response
