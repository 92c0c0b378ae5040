"""Admission of expensive requests: how many may run at once in one process.

Hashing a password (PBKDF2, on purpose slow) is the costliest thing a request
does here: signup, login, password change, password-reset confirm and the
admin's login all do it. A request takes a pooled database connection at its
first query and keeps it until it ends, hashing included; a burst of such
requests would hold every pooled connection and the CPU, and a cheap page
(the profile) would wait for the pool's timeout and fail.

``hashes_passwords`` wraps such a view. Its unsafe requests (POST) first wait
for one of ``PASSWORD_HASHING_CONCURRENCY`` slots of this process *on the
event loop*, before any of the request's thread work starts, so a waiting
request holds no thread and no pooled connection. A request that finds no
slot within ``PASSWORD_HASHING_WAIT`` seconds gets the 503 page with
``Retry-After``. While it waits it gives its turn (``limits.turns``) to
other requests, and takes one again once it has a slot. The slots are fewer
than the pool's connections, so cheap requests always find one.
``PASSWORD_HASHING_CONCURRENCY=0`` turns the bound off: the view then runs
as Django would run it.

An asyncio semaphore belongs to the event loop it is used on: a gate keeps one
per running loop (a server process has one; the test client makes one per
request), forgotten with its loop.
"""

import asyncio
import contextlib
import functools
import weakref

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings

from errors.views import service_unavailable
from limits import turns
from metrics.definitions import REFUSED

# Requests that only show a form: they hash nothing and are never held back.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class Busy(Exception):
    """No slot was free within the wait."""


class Gate:
    """At most ``settings.<size_setting>`` holders at once per event loop;
    a newcomer waits up to ``settings.<wait_setting>`` seconds for a slot."""

    def __init__(self, size_setting, wait_setting):
        self.size_setting = size_setting
        self.wait_setting = wait_setting
        self._semaphores = weakref.WeakKeyDictionary()  # loop -> (size, semaphore)

    @property
    def size(self):
        return getattr(settings, self.size_setting)

    @property
    def wait(self):
        return getattr(settings, self.wait_setting)

    @property
    def enabled(self):
        return self.size > 0

    def semaphore(self):
        """This loop's semaphore (a new one if the configured size changed)."""
        loop = asyncio.get_running_loop()
        entry = self._semaphores.get(loop)
        if entry is None or entry[0] != self.size:
            entry = (self.size, asyncio.Semaphore(self.size))
            self._semaphores[loop] = entry
        return entry[1]

    @contextlib.asynccontextmanager
    async def slot(self):
        """Hold one slot for the block; raise ``Busy`` if none came in time.
        While it waits, the request's turn (``limits.turns``) goes to others."""
        semaphore = self.semaphore()
        acquired = False
        try:
            # Only a request that has to wait steps aside: one that finds a
            # slot free keeps its turn.
            aside = turns.stepped_aside() if semaphore.locked() else contextlib.nullcontext()
            async with aside:
                async with asyncio.timeout(self.wait):
                    await semaphore.acquire()
                    acquired = True
        except (TimeoutError, turns.NoTurn):
            if acquired:
                semaphore.release()
            raise Busy from None
        try:
            yield
        finally:
            semaphore.release()


password_hashing = Gate("PASSWORD_HASHING_CONCURRENCY", "PASSWORD_HASHING_WAIT")


def admitted_by(gate):
    """A decorator: the view's unsafe requests run only with a slot of ``gate``.

    The view may be sync (it then runs in the request's thread, as Django
    would run it) or async; the wrapper is async either way, so under ASGI
    the wait happens on the event loop. The test client and WSGI run it
    through ``async_to_sync``, as they run any async view.
    """

    def decorator(view):
        run = view if iscoroutinefunction(view) else sync_to_async(view, thread_sensitive=True)

        @functools.wraps(view)
        async def admitted(request, *args, **kwargs):
            if request.method in SAFE_METHODS or not gate.enabled:
                return await run(request, *args, **kwargs)
            try:
                async with gate.slot():
                    return await run(request, *args, **kwargs)
            except Busy:
                REFUSED.labels("password_hashing").inc()
                return service_unavailable()

        return admitted

    return decorator


hashes_passwords = admitted_by(password_hashing)
