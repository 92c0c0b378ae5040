"""Turns: how many requests one server process answers at once, and which
ones it refuses when it cannot answer them in time.

An event loop takes every request the moment it arrives, and runs them all
interleaved: under load each request waits for all the others at every step,
so latency spreads (a high p99) and, past what the process can serve, every
request is answered late instead of some being answered in time. ``Turns``
wraps the application (``server.application``), per process:

- at most ``WEB_ACTIVE_REQUESTS`` requests run at once; the next ones wait
  for a turn on the event loop, in order of arrival, holding no thread and no
  database connection. A request takes its turn once its body has arrived
  (Django reads the body before anything else), so a slow upload holds none,
  and gives it back with its answer's last byte;
- a request that would wait longer than ``WEB_MAX_QUEUE_WAIT`` seconds, by
  the pace this process has kept lately (the mean length of a turn, known
  after its first ``PACE_AFTER_TURNS``), is
  refused at once: ``503`` with ``Retry-After``, after a pause of
  ``REFUSAL_PAUSE_SECONDS`` so that a client that retries at once does not
  make the refusals a load of their own; one that has waited twice that long
  all the same (the pace changed) is refused then; a client that asks
  again sooner than ``Retry-After`` waits longer for each refusal in a row
  (``RefusalBackoff``);
- the probes never wait: an overloaded process is alive, and says so.

A request that waits for a turn of its own (a password hashing turn,
``limits.admission``) gives its turn back while it waits (``stepped_aside``).
Refusals are counted in the metrics and logged once a second at most.
``WEB_ACTIVE_REQUESTS=0`` turns all of this off.
"""

import asyncio
import collections
import contextlib
import contextvars
import logging
import statistics
import weakref

from django.conf import settings

from health.paths import PATHS as PROBE_PATHS
from metrics.definitions import REFUSED, WAITING

logger = logging.getLogger(__name__)
NO_TURN = REFUSED.labels("no_turn")

# Seconds a refusal waits before it is sent (well within 50 ms).
REFUSAL_PAUSE_SECONDS = 0.02
# What a refusal's Retry-After asks of the client, in seconds.
RETRY_AFTER_SECONDS = 1
# Weight of the latest turn in the mean length of a turn.
PACE_WEIGHT = 0.1
# Turns a process holds before it knows its pace: their median is the first
# value, since a new process's first requests are slow (imports, templates,
# connections), and one of them alone would make it refuse at light load.
PACE_AFTER_TURNS = 10
# Seconds between two log lines about refusals.
REFUSAL_LOG_EVERY = 1.0

BODY = b"Service Unavailable: the server is busy, try again in a moment.\n"
REFUSAL = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(BODY)).encode()),
    (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
]


REFUSAL_BYTES = b"".join(
    [
        b"HTTP/1.1 503 Service Unavailable\r\n",
        *(name + b": " + value + b"\r\n" for name, value in REFUSAL),
        b"\r\n",
        BODY,
    ]
)


DISCONNECT = {"type": "http.disconnect"}


class NoTurn(Exception):
    """The request cannot be answered in time."""


# The turn the current request holds, if any.
current = contextvars.ContextVar("limits.turns.current", default=None)


def handed_a_turn(waiter):
    """Whether a turn was handed to ``waiter`` (perhaps as its wait ended)."""
    return waiter.done() and not waiter.cancelled()


class Queue:
    """The turns of one event loop."""

    def __init__(self, size, max_wait):
        self.size = size
        self.max_wait = max_wait
        self.active = 0
        self.waiters = collections.deque()  # futures, in order of arrival
        self.pace = None  # mean seconds a turn is held, once known
        self.first_turns = []  # until then, how long each was held
        self.refusals = Refusals()
        self.loop = asyncio.get_running_loop()

    def expected_wait(self):
        if self.pace is None:
            return 0.0
        return (len(self.waiters) + 1) * self.pace / self.size

    def free(self):
        return self.active < self.size and not self.waiters

    def would_refuse(self):
        """Whether a request arriving now would be refused."""
        return not self.free() and self.expected_wait() > self.max_wait

    async def take(self):
        """Wait for a turn; raise ``NoTurn`` if it would come too late."""
        if self.free():
            self.active += 1
            return self.loop.time()
        if self.expected_wait() > self.max_wait:
            raise NoTurn
        waiter = self.loop.create_future()
        self.waiters.append(waiter)
        WAITING.inc()
        try:
            async with asyncio.timeout(2 * self.max_wait):
                await waiter
        except TimeoutError:
            if not handed_a_turn(waiter):
                raise NoTurn from None
        except BaseException:  # the client went away
            if handed_a_turn(waiter):
                self.give_back()
            raise
        finally:
            WAITING.dec()
            if not waiter.done():
                waiter.cancel()
            with contextlib.suppress(ValueError):
                self.waiters.remove(waiter)
        return self.loop.time()

    def note_turn(self, held):
        if self.pace is not None:
            self.pace += PACE_WEIGHT * (held - self.pace)
            return
        self.first_turns.append(held)
        if len(self.first_turns) == PACE_AFTER_TURNS:
            self.pace = statistics.median(self.first_turns)
            self.first_turns = []

    def give_back(self, taken_at=None):
        if taken_at is not None:
            self.note_turn(self.loop.time() - taken_at)
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the turn passes on: active stays
                return
        self.active -= 1


class Turn:
    """A request's hold on a turn of ``queue``."""

    def __init__(self, queue):
        self.queue = queue
        self.taken_at = None
        self.refused = False

    async def take(self):
        self.taken_at = await self.queue.take()

    async def take_unless_gone(self, receive):
        """Take the turn, unless the client goes away while it waits (its
        body has arrived, so the next message ``receive`` gives is the
        disconnect): whether the turn was taken. A request whose client has
        gone is not started at all."""
        if self.queue.free():
            await self.take()
            return True
        taking = asyncio.ensure_future(self.take())
        gone = asyncio.ensure_future(receive())
        try:
            await asyncio.wait({taking, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not gone.done():
                gone.cancel()
            if not taking.done():
                taking.cancel()
                await asyncio.gather(taking, return_exceptions=True)
        if not gone.done() or gone.cancelled():
            taking.result()  # raises NoTurn if it came too late
            return True
        if not taking.cancelled() and taking.exception() is None:
            self.give_back()  # it came at the same moment
        return False

    def give_back(self):
        if self.taken_at is not None:
            self.queue.give_back(self.taken_at)
            self.taken_at = None


@contextlib.asynccontextmanager
async def stepped_aside():
    """Give the current request's turn back for the block (a wait of its
    own), and take one again after it; raise ``NoTurn`` if none comes in time."""
    turn = current.get()
    if turn is None or turn.taken_at is None:
        yield
        return
    turn.give_back()
    try:
        yield
    finally:
        await turn.take()


class RefusalBackoff:
    """How long one connection's refusals wait before they are sent:
    ``REFUSAL_PAUSE_SECONDS``, doubled for each refusal in a row that the
    client asked for again sooner than ``Retry-After``, up to that long. A
    client that retries at once, on however many connections, cannot make
    the refusals a load of their own that slows the requests being served;
    one that waits as asked, or a new connection, is refused at once."""

    def __init__(self):
        self.in_a_row = 0
        self.sent_at = None  # the loop's time of the last refusal sent

    def pause(self, now):
        """The pause before the refusal of the request that arrived at ``now``."""
        if self.sent_at is None or now - self.sent_at >= RETRY_AFTER_SECONDS:
            self.in_a_row = 0
        pause = min(REFUSAL_PAUSE_SECONDS * 2**self.in_a_row, RETRY_AFTER_SECONDS)
        self.in_a_row += 1
        return pause

    def sent(self, now):
        self.sent_at = now

    def served(self):
        """A request of the connection is being served: the next refusal
        starts short again."""
        self.in_a_row = 0


class Refusals:
    """Counts refusals, and logs them once a second at most: the first at
    once, the ones after it in one line when the second is over."""

    def __init__(self):
        self.unlogged = 0
        self.logged_at = None
        self.flush = None  # the timer of the next line

    def refused(self, loop):
        NO_TURN.inc()
        self.unlogged += 1
        now = loop.time()
        if self.logged_at is None or now - self.logged_at >= REFUSAL_LOG_EVERY:
            self.log(now)
        elif self.flush is None:
            self.flush = loop.call_later(
                self.logged_at + REFUSAL_LOG_EVERY - now, lambda: self.log(loop.time())
            )

    def log(self, now):
        if self.flush is not None:
            self.flush.cancel()
            self.flush = None
        if not self.unlogged:
            return
        logger.warning(
            "503 Service Unavailable: refused %d request(s) that could not be "
            "answered within WEB_MAX_QUEUE_WAIT (%s s)",
            self.unlogged,
            settings.WEB_MAX_QUEUE_WAIT,
            extra={"status": 503, "refused": self.unlogged},
        )
        self.unlogged = 0
        self.logged_at = now


# Each event loop's queue (a server process has one loop; tests run several,
# one after another).
_queues = weakref.WeakKeyDictionary()


def queue_of(loop):
    """``loop``'s queue, if a request has taken a turn on it."""
    return _queues.get(loop)


def refusing(loop):
    """Whether a request (a probe excepted) arriving now on ``loop`` would be
    refused: the server's protocol then refuses it before the application
    runs at all (``limits.protocol``), for a fraction of the cost. No queue
    exists until a request has taken a turn (none with the turns off)."""
    queue = queue_of(loop)
    return queue is not None and queue.would_refuse()


class Turns:
    """An ASGI application: ``app``, its HTTP requests taking turns."""

    def __init__(self, app):
        self.app = app

    def queue(self):
        loop = asyncio.get_running_loop()
        queue = _queues.get(loop)
        if queue is None:
            queue = _queues[loop] = Queue(settings.WEB_ACTIVE_REQUESTS, settings.WEB_MAX_QUEUE_WAIT)
        return queue

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] != "http"
            or not settings.WEB_ACTIVE_REQUESTS
            or scope["path"] in PROBE_PATHS
        ):
            await self.app(scope, receive, send)
            return
        turn = Turn(self.queue())

        async def receive_then_take_a_turn():
            # The turn is taken once the request's body has arrived, as
            # Django reads it before anything else runs: a client that sends
            # its body slowly holds no turn meanwhile.
            message = await receive()
            if (
                turn.taken_at is None
                and not turn.refused
                and message["type"] == "http.request"
                and not message.get("more_body", False)
            ):
                try:
                    if not await turn.take_unless_gone(receive):
                        return DISCONNECT  # nobody to answer: the application stops here
                except NoTurn:
                    turn.refused = True
                    return DISCONNECT  # the application stops here
            return message

        async def send_then_give_the_turn_back(message):
            await send(message)
            # The turn ends with the answer's last byte, not with the work
            # after it (request_finished): a client that asks again at once
            # finds the turn free.
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                turn.give_back()

        token = current.set(turn)
        try:
            await self.app(scope, receive_then_take_a_turn, send_then_give_the_turn_back)
        finally:
            current.reset(token)
            turn.give_back()
        if turn.refused:
            # The application saw the client go before the body ended, so
            # it answered nothing.
            await self.refuse(send)

    async def refuse(self, send):
        loop = asyncio.get_running_loop()
        self.queue().refusals.refused(loop)
        await asyncio.sleep(REFUSAL_PAUSE_SECONDS)
        await send({"type": "http.response.start", "status": 503, "headers": REFUSAL})
        await send({"type": "http.response.body", "body": BODY})
