"""The access log: a request id for every request, returned in
``X-Request-ID``, and one line per request. The outermost middleware; it does
no I/O of its own, so it runs on the event loop under the server."""

import logging
import re
import time
import uuid

from config.middleware import AsyncCapableMiddleware
from logs.json_lines import request_id_var

access_logger = logging.getLogger("logs.access")

# URL parts that are secrets (the token of an emailed link: Django's reset,
# our verification) are never written: a log is read by more people than
# the mailbox the link went to.
SECRET_URL_KWARGS = ("token",)
REDACTED = "[redacted]"


def loggable_path(request):
    """The request's path, with the URL's secret parts replaced."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name in SECRET_URL_KWARGS:
            value = match.kwargs.get(name)
            if value:
                path = path.replace(value, REDACTED)
    return path


# A request id from outside is kept only if it is a short, plain token, so that
# nobody can write arbitrary text into our logs through the header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestLogMiddleware(AsyncCapableMiddleware):
    """Give each request an id, return it in ``X-Request-ID``, and log one
    access line: method, path (never the query string, nor a link's token),
    status, duration."""

    def start(self, request):
        # META, not request.headers, which would build a dict of every header.
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
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
        path = loggable_path(request)
        response["X-Request-ID"] = request.request_id
        # A probe's own answer (health.middleware marks it) at DEBUG, since
        # probes call often; a request to its path that was refused (400,
        # 413) is logged like any other.
        level = logging.DEBUG if getattr(response, "probe_answer", False) else logging.INFO
        access_logger.log(
            level,
            "%s %s %s %sms",
            request.method,
            path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": path,
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
