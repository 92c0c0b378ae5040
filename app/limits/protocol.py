"""uvicorn's HTTP protocol with the limits it lacks, for a server that the
public (or anything inside the cluster) may reach directly.

uvicorn's httptools protocol buffers a header of any size, waits forever for
the headers of a request and for its body, and accepts every connection until
the process runs out of file descriptors. ``LimitedHttpToolsProtocol`` adds,
per connection, with values from the settings (see "Request limits" in the
docs/production.md):

- ``WEB_MAX_CONNECTIONS``: a connection beyond it is answered ``503`` at once
  and closed, so the process never runs out of file descriptors and the excess
  is never queued;
- ``WEB_MAX_IN_FLIGHT``: a request that arrives while this many are being
  answered is answered ``503`` with ``Retry-After`` at once (the probes'
  paths excepted), so that an overloaded process refuses fast what it
  could only answer late, and the requests it serves keep their latency;
- ``REQUEST_MAX_HEADER_SIZE`` and ``REQUEST_MAX_HEADERS``: the request line and
  header block, in bytes, and the number of header fields; beyond either,
  ``431`` and the connection is closed;
- ``REQUEST_HEADER_TIMEOUT``: seconds from a connection (or the first byte of
  a request) to the end of its headers; then ``408``, or a silent close when
  the client sent nothing;
- ``REQUEST_BODY_TIMEOUT``: seconds from the end of the headers to the end of
  the body; then ``408`` and the connection is closed, and the application
  sees the client disconnect.

The body's size is bounded around Django (``limits.asgi``), and answered
with the service's own 413 page.

It subclasses uvicorn internals, read against ``CHECKED_AGAINST``; on any
other version ``manage.py check`` warns (``release.checks``).
"""

import asyncio
import http
import logging

from django.conf import settings
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from health.paths import LIVENESS_PATH, READINESS_PATH
from limits import turns
from metrics.definitions import REFUSED

CHECKED_AGAINST = {"uvicorn": "0.54", "httptools": "0.9"}

logger = logging.getLogger(__name__)


class HeaderBlockTooLarge(Exception):
    """Raised from a parser callback: httptools then stops parsing, and uvicorn
    calls ``send_400_response``, which answers 431 instead."""


# Seconds a refused connection stays half-closed, reading and dropping what
# the client still sends, so that its request does not make the kernel reset
# the connection before the client has read the answer; and how much it
# drops before it closes the connection at once.
LINGER_SECONDS = 0.5
# Never refused for overload (``overloaded``), as the request line has them.
PROBE_PATHS = frozenset({LIVENESS_PATH.encode(), READINESS_PATH.encode()})
LINGER_BYTES = 65_536


class AnsweredHere:
    """Stands in for uvicorn's request cycle while the protocol answers a
    request itself (``refuse_for_no_turn``): what uvicorn reads of a cycle
    between the end of the headers and the answer."""

    def __init__(self):
        self.response_started = False
        self.response_complete = False
        self.disconnected = False
        self.keep_alive = True
        self.more_body = False
        self.body = b""
        self.message_event = asyncio.Event()


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_connections = settings.WEB_MAX_CONNECTIONS
        self.max_in_flight = settings.WEB_MAX_IN_FLIGHT
        self.max_header_size = settings.REQUEST_MAX_HEADER_SIZE
        self.max_headers = settings.REQUEST_MAX_HEADERS
        self.header_timeout = settings.REQUEST_HEADER_TIMEOUT
        self.body_timeout = settings.REQUEST_BODY_TIMEOUT
        self.reading_headers = False
        self.header_bytes = 0  # of the request being read, as they arrive
        self.header_count = 0
        self.oversized = False
        self.request_started = False  # a byte of the request being read has arrived
        self.dropped = 0  # bytes received after the connection was refused
        self.read_timer = None
        self.refused = False
        self.backoff = turns.RefusalBackoff()  # of this connection's refusals for no turn
        # Since when the connection has been waiting for a request (None while
        # it serves one): its headers, or the next request after a response.
        self.waiting_since = None

    # Connections

    def connection_made(self, transport):
        super().connection_made(transport)
        if len(self.connections) > self.max_connections and not self.make_room():
            REFUSED.labels("connections").inc()
            self.refuse(http.HTTPStatus.SERVICE_UNAVAILABLE, "too many connections")
            return
        self.start_reading_headers()

    def make_room(self):
        """Close the connection that has waited longest for a request (its
        headers, or the next one on a kept-alive connection), if any: a client
        that holds connections without sending requests cannot lock others
        out. Connections serving a request are never closed for this."""
        waiting = [
            other
            for other in self.connections
            if other is not self
            and isinstance(other, LimitedHttpToolsProtocol)
            and other.waiting_since is not None
            and not other.refused
        ]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda other: other.waiting_since)
        if oldest.reading_headers and oldest.request_started:
            oldest.refuse(http.HTTPStatus.REQUEST_TIMEOUT, "headers too slow", linger=False)
        else:
            oldest.close_idle()
        return True

    def close_idle(self):
        """Close a connection that has sent nothing of a request."""
        self.refused = True
        self.waiting_since = None
        self.stop_read_timer()
        self.transport.close()

    def connection_lost(self, exc):
        self.stop_read_timer()
        super().connection_lost(exc)

    # Reading a request: its headers, then its body

    def start_reading_headers(self, request_started=False):
        self.reading_headers = True
        self.request_started = request_started
        self.header_bytes = self.header_count = 0
        if self.waiting_since is None:
            self.waiting_since = self.loop.time()
        self.start_read_timer(self.header_timeout, self.headers_timed_out)

    def data_received(self, data):
        if self.refused:  # lingering: what is still sent is dropped
            self.dropped += len(data)
            if self.dropped > LINGER_BYTES:
                self.transport.close()
            return
        if self.reading_headers:
            self.header_bytes += len(data)
        super().data_received(data)
        if self.reading_headers and self.header_bytes > self.max_header_size and not self.refused:
            # Headers still incomplete, and already too many bytes: httptools
            # would keep buffering a header value of any size.
            self.refuse(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header block too large")

    def on_message_begin(self):
        super().on_message_begin()
        if self.reading_headers:
            self.request_started = True
        else:  # the next request on a kept-alive connection
            self.start_reading_headers(request_started=True)

    def on_header(self, name, value):
        self.header_count += 1
        if self.header_count > self.max_headers:
            self.oversized = True
            raise HeaderBlockTooLarge
        super().on_header(name, value)

    def on_headers_complete(self):
        self.reading_headers = False
        self.waiting_since = None
        self.stop_read_timer()
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_header_size:
            self.oversized = True
            raise HeaderBlockTooLarge
        if self.overloaded():
            REFUSED.labels("in_flight").inc()
            self.refuse(http.HTTPStatus.SERVICE_UNAVAILABLE, "too many requests in flight")
            return
        if (
            turns.refusing(self.loop)  # first: rarely true, and the cheapest
            and not self.for_a_probe()
            and not self.has_body()
            and self.answering_none()
            and self.parser.should_keep_alive()
            and self.parser.get_method() != b"HEAD"
        ):
            self.refuse_for_no_turn()
            return
        self.backoff.served()
        super().on_headers_complete()
        if self.has_body():
            self.start_read_timer(self.body_timeout, self.body_timed_out)

    def overloaded(self):
        """Whether this process answers ``WEB_MAX_IN_FLIGHT`` requests already
        (uvicorn's tasks: one per request being answered). A probe is never
        refused: an overloaded process is alive, and says so."""
        if not self.max_in_flight or len(self.tasks) < self.max_in_flight:
            return False
        return not self.for_a_probe()

    def for_a_probe(self):
        return self.url.split(b"?", 1)[0] in PROBE_PATHS

    def answering_none(self):
        """Whether no earlier request of this connection is still being
        answered: a request pipelined behind one is queued by uvicorn and
        answered after it, so it is refused, if it must be, in its order
        (by ``limits.turns`` when it starts)."""
        return (self.cycle is None or self.cycle.response_complete) and not self.pipeline

    def refuse_for_no_turn(self):
        """What ``limits.turns`` answers a request that could not be served
        in time, written here without starting the application: a refusal
        costs a fraction of a request, so refusals do not become a load of
        their own. The connection stays open for the next request."""
        queue = turns.queue_of(self.loop)
        queue.refusals.refused(self.loop)
        self.cycle = refusal = AnsweredHere()
        pause = self.backoff.pause(self.loop.time())
        self.loop.call_later(pause, self.send_refusal, refusal)

    def send_refusal(self, refusal):
        if self.transport.is_closing() or refusal.disconnected:
            return
        self.backoff.sent(self.loop.time())
        self.transport.write(turns.REFUSAL_BYTES)
        refusal.response_complete = True
        self.on_response_complete()

    def has_body(self):
        for name, value in self.headers:
            if name == b"transfer-encoding" or (name == b"content-length" and value.strip(b"0 ")):
                return True
        return False

    def on_message_complete(self):
        super().on_message_complete()
        self.stop_read_timer()

    def on_response_complete(self):
        super().on_response_complete()
        if not self.pipeline and not self.transport.is_closing():
            self.waiting_since = self.loop.time()  # kept alive, idle until the next request

    def send_400_response(self, msg):
        # uvicorn's answer to a parser error, which is also what an exception
        # raised in a parser callback becomes.
        if self.oversized:
            self.refuse(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header block too large")
        else:
            self.refuse(http.HTTPStatus.BAD_REQUEST, "malformed request")

    # Timers

    def start_read_timer(self, seconds, callback):
        self.stop_read_timer()
        self.read_timer = self.loop.call_later(seconds, callback)

    def stop_read_timer(self):
        if self.read_timer is not None:
            self.read_timer.cancel()
            self.read_timer = None

    def headers_timed_out(self):
        self.read_timer = None
        if self.transport.is_closing():
            return
        if not self.request_started:
            self.close_idle()  # nothing to answer
        else:
            self.refuse(http.HTTPStatus.REQUEST_TIMEOUT, "headers too slow")

    def body_timed_out(self):
        self.read_timer = None
        if not self.transport.is_closing():
            self.refuse(http.HTTPStatus.REQUEST_TIMEOUT, "body too slow")

    # Answers

    def refuse(self, status, reason, linger=True):
        """Answer ``status`` with a short text and close the connection; an
        application still reading this request's body sees a disconnect."""
        self.refused = True
        self.waiting_since = None
        self.reading_headers = False
        self.stop_read_timer()
        cycle = self.cycle
        answer = cycle is None or cycle.response_complete or not cycle.response_started
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
            cycle.message_event.set()
        logger.warning(
            "%s %s: %s",
            status.value,
            status.phrase,
            reason,
            extra={"status": status.value, "client": self.client[0] if self.client else None},
        )
        if answer:
            body = f"{status.phrase}\n".encode()
            head = [
                f"HTTP/1.1 {status.value} {status.phrase}".encode(),
                b"content-type: text/plain; charset=utf-8",
                b"content-length: " + str(len(body)).encode(),
                b"x-content-type-options: nosniff",
                b"connection: close",
            ]
            if status == http.HTTPStatus.SERVICE_UNAVAILABLE:
                head.append(b"retry-after: 1")
            self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        if linger and self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
