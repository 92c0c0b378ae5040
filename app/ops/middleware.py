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

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.core.exceptions import BadRequest
from django.http import HttpResponse

from ops import health, views
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
        level = logging.DEBUG if is_probe_answer(request, response) else logging.INFO
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


def is_probe_answer(request, response):
    """A health endpoint's own answer, logged at DEBUG (probes call often); a
    request to its path that was refused (400, 413) is logged like any other."""
    return request.path in health.PATHS and response.status_code in {200, 503}


class RequestLimitsMiddleware(AsyncCapableMiddleware):
    """Answer, before anything else reads it, a request that cannot be served
    as sent: a body over ``REQUEST_MAX_BODY_SIZE`` (found by the ASGI handler,
    ``ops.limits``) gets the 413 page; a request Django could not parse, or a
    POSTed form it cannot read (a charset other than UTF-8, a broken multipart
    body), gets the 400 page, whatever URL it was sent to.

    It sits below the security headers and above everything else, the health
    endpoints included, so that no body over the limit is ever read, and a
    form is read here once: an error page reading it again finds it parsed.
    """

    def handle(self, request):
        self.refuse_unreadable(request)
        if getattr(request, "body_too_large", False):
            return views.payload_too_large(request)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            read_form(request)
        return self.get_response(request)

    async def ahandle(self, request):
        self.refuse_unreadable(request)
        if getattr(request, "body_too_large", False):
            # The page shows the user, whose session is read from the database.
            return await sync_to_async(views.payload_too_large)(request)
        if request.method == "POST":
            if request.content_type == URLENCODED:
                read_form(request)  # in memory: the body is bounded and already read
            elif request.content_type == MULTIPART:
                # Files may be written to disk: not on the event loop.
                await sync_to_async(read_form)(request)
        return await self.get_response(request)

    @staticmethod
    def refuse_unreadable(request):
        error = getattr(request, "unreadable", None)
        if error is not None:
            # Django's handler400 answers it, and logs it, like any bad request.
            raise BadRequest(f"Unreadable request: {error}") from error


URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
FORM_TYPES = frozenset({URLENCODED, MULTIPART})


def read_form(request):
    """Parse the POSTed form; one that cannot be parsed is a bad request.

    Django answers its own parse errors (a non-UTF-8 form, too many fields,
    a broken multipart body) with 400, but reads a charset it does not know as
    UTF-8, and one that is no text encoding (rot13) fails with LookupError or
    ValueError, which would be a 500.
    """
    if "charset" in request.content_params and request.encoding is None:
        # Django ignores a charset it does not know and reads UTF-8 instead.
        request._mark_post_parse_error()
        raise BadRequest("Unreadable form: a charset Python does not know")
    try:
        request.POST  # noqa: B018 - reading it parses the form
    except Exception as error:
        # The error pages read request.POST again (for a CSRF token): they
        # find it empty instead of failing a second time.
        request._mark_post_parse_error()
        if isinstance(error, (LookupError, ValueError)):
            raise BadRequest(f"Unreadable form: {error}") from error
        raise


class HealthCheckMiddleware(AsyncCapableMiddleware):
    """Answer ``/healthz`` and ``/readyz`` before any other middleware.

    Probes call with a bare pod IP as ``Host`` and over plain HTTP, so these
    answers come before ``ALLOWED_HOSTS`` is checked (CommonMiddleware), and
    their paths are exempt from the HTTPS redirect (``SECURE_REDIRECT_EXEMPT``).
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
