"""Bounds on what one request brings, applied around Django's application
(whichever handler serves it: ``config.asgi``) before Django reads it.

Django's ASGI handler reads a whole body before anything else runs, spooling
what exceeds ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to ``/tmp``, however large; and a
request it cannot parse (a query string that is not UTF-8, a ``Content-Type``
too long to parse) escapes it as a bare 400, or the server's bare 500.
``RequestLimits`` wraps the application:

- a body over ``REQUEST_MAX_BODY_SIZE`` is not read: a declared
  ``Content-Length`` over it is not read at all (no ``100 Continue`` is sent),
  and a chunked body is cut at the limit;
- a request Django could not build reaches it without the parts it could not
  parse.

It marks the request's scope either way, and ``limits.middleware`` answers:
413 with the service's page (the connection is closed after it), or the 400
page, with the usual headers and a log line, like any other bad request.
"""

import asyncio

from django.conf import settings
from django.utils.http import parse_header_parameters

# Keys this module adds to its copy of a request's scope.
BODY_TOO_LARGE = "limits.body_too_large"
UNREADABLE = "limits.unreadable"


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


class RequestLimits:
    """An ASGI application: ``app`` with each HTTP request's body bounded and
    its unparseable parts set aside."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope = dict(scope)  # ours to mark
            error = unreadable(scope)
            if error is not None:
                scope.update(readable_part(scope), **{UNREADABLE: error})
            receive = LimitedBody(scope, receive, settings.REQUEST_MAX_BODY_SIZE)
        await self.app(scope, receive, send)


def unreadable(scope):
    """Why Django could not build a request from ``scope``, or None: the two
    parts of a scope that Django's request parses (``ASGIRequest.__init__``)."""
    try:
        scope.get("query_string", b"").decode()
    except UnicodeDecodeError as error:
        return error
    # Django joins repeated headers with commas before it parses them.
    content_type = ",".join(
        value.decode("latin1")
        for name, value in scope.get("headers", ())
        if name == b"content-type"
    )
    try:
        parse_header_parameters(content_type)
    except ValueError as error:
        return error
    return None


def readable_part(scope):
    """The scope without the parts that may not parse."""
    return {
        "query_string": b"",
        "headers": [
            (name, value)
            for name, value in scope.get("headers", ())
            if name not in {b"content-type", b"content-length"}
        ],
    }
