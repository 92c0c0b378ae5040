"""Bounds on what one request brings, applied by the ASGI handler before
Django reads it.

Django's ASGI handler reads a whole body before anything else runs, spooling
what exceeds ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to ``/tmp``, however large; and a
request it cannot parse (a ``Content-Type`` too long or naming an unknown
charset) escapes it as the server's bare 500. Here:

- a body over ``REQUEST_MAX_BODY_SIZE`` is not read: a declared
  ``Content-Length`` over it is not read at all (no ``100 Continue`` is sent),
  and a chunked body is cut at the limit; ``RequestLimitsMiddleware`` answers
  413 with the service's page, and the connection is closed after it;
- a request Django cannot build is built without the parts it could not
  parse, and ``RequestLimitsMiddleware`` answers it with the 400 page, the usual
  headers and a log line, like any other bad request.
"""

import asyncio
import io

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation

# Keys this module adds to its copy of a request's scope.
BODY_TOO_LARGE = "ops.body_too_large"


def declared_length(scope):
    """The request's Content-Length as a number, or None."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class LimitedBody:
    """The ``receive`` of one request, which stops at ``limit`` body bytes.

    Past the limit it ends the body (marking the scope) and then drops what
    the client still sends, so that Django's wait for a disconnect sees only
    the disconnect.
    """

    END = {"type": "http.request", "body": b"", "more_body": False}

    def __init__(self, scope, receive, limit):
        self.scope = scope
        self.receive = receive
        self.limit = limit
        self.received = 0
        self.ended = False  # the body, as the application sees it
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            self.scope[BODY_TOO_LARGE] = True

    async def __call__(self):
        if self.scope.get(BODY_TOO_LARGE):
            if not self.ended:
                self.ended = True
                return self.END
            return await self.next_event()
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.scope[BODY_TOO_LARGE] = True
                self.ended = True
                return self.END
        return message

    async def next_event(self):
        """What comes after the body: the rest of it is dropped. When none of
        it was read, nothing is asked of the server, which would otherwise send
        ``100 Continue`` to a client waiting for it; Django stops waiting once
        its answer is sent."""
        if not self.received:
            await asyncio.Future()  # cancelled when the response is sent
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                return message


class RequestLimitsHandlerMixin:
    """For an ASGI handler: the body bounded, unparseable requests kept."""

    async def handle(self, scope, receive, send):
        scope = dict(scope)  # ours to mark
        await super().handle(
            scope, LimitedBody(scope, receive, settings.REQUEST_MAX_BODY_SIZE), send
        )

    def create_request(self, scope, body_file):
        try:
            request = self.request_class(scope, body_file)
        except (BadRequest, SuspiciousOperation, UnicodeDecodeError) as error:
            # A header or query string Django cannot parse.
            parseable = {
                **scope,
                "query_string": b"",
                "headers": [
                    (name, value)
                    for name, value in scope.get("headers", ())
                    if name not in {b"content-type", b"content-length"}
                ],
            }
            request = self.request_class(parseable, io.BytesIO())
            request.unreadable = error
        request.body_too_large = scope.get(BODY_TOO_LARGE, False)
        return request, None
