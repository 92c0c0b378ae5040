"""Django's ASGI handler with the middleware of ``fastpath.middleware`` and a
pool of request threads (``fastpath``)."""

import logging
import queue
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler

from fastpath import versions
from fastpath.middleware import ASYNC_EQUIVALENTS

logger = logging.getLogger(__name__)


class ExecutorPool:
    """One-thread executors, lent to one request at a time and kept for reuse."""

    def __init__(self, keep=64):
        self.idle = queue.LifoQueue(maxsize=keep)

    def take(self):
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give_back(self, executor):
        try:
            self.idle.put_nowait(executor)
        except queue.Full:
            executor.shutdown(wait=False)


class ASGIHandler(DjangoASGIHandler):
    """Django's handler, with the middleware of ``fastpath.middleware`` and
    each request's thread taken from a pool."""

    def __init__(self):
        for warning in versions.differences():
            logger.warning("%s", warning)
        super().__init__()
        self.executors = ExecutorPool()

    def load_middleware(self, is_async=False):
        # Django documents no way to choose the class a middleware path loads.
        # BaseHandler.load_middleware imports each path with the module-level
        # import_string of django.core.handlers.base: swap the equivalents in
        # for the duration (once, at start-up, before any request).
        original = base.import_string

        def import_equivalent(path):
            return ASYNC_EQUIVALENTS.get(path) or original(path)

        base.import_string = import_equivalent
        try:
            super().load_middleware(is_async)
        finally:
            base.import_string = original

    async def __call__(self, scope, receive, send):
        # Django's own __call__, with an executor lent to the request.
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.executors.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.executors.give_back(executor)
