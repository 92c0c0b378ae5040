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

# A request id from outside is kept only if it is a short, plain token, so that
# nobody can write arbitrary text into our logs through the header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


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
        # A probe's own answer (health.middleware marks it) at DEBUG, since
        # probes call often; a request to its path that was refused (400,
        # 413) is logged like any other.
        level = logging.DEBUG if getattr(response, "probe_answer", False) else logging.INFO
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
