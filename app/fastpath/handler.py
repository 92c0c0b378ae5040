"""Django's ASGI handler with the middleware of ``fastpath.middleware``, a
pool of request threads, and the early answers of ``fastpath.early``
(``fastpath``)."""

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


class EquivalentMiddlewareHandler(DjangoASGIHandler):
    """Django's ASGI handler, loading the class ``middleware_class`` gives
    for each path of ``settings.MIDDLEWARE``: the async equivalent of
    ``fastpath.middleware`` where there is one."""

    def middleware_class(self, path, import_string):
        return ASYNC_EQUIVALENTS.get(path) or import_string(path)

    def load_middleware(self, is_async=False):
        # Django documents no way to choose the class a middleware path loads.
        # BaseHandler.load_middleware imports each path with the module-level
        # import_string of django.core.handlers.base: swap ours in for the
        # duration (once, at start-up, before any request).
        original = base.import_string
        base.import_string = lambda path: self.middleware_class(path, original)
        try:
            super().load_middleware(is_async)
        finally:
            base.import_string = original


class ASGIHandler(EquivalentMiddlewareHandler):
    """Django's handler, with the middleware of ``fastpath.middleware``, each
    request's thread taken from a pool, and the probes and static files
    answered early (``fastpath.early``)."""

    def __init__(self):
        from fastpath.early import EarlyAnswers

        for warning in versions.differences():
            logger.warning("%s", warning)
        super().__init__()
        self.executors = ExecutorPool()
        self.early = EarlyAnswers()

    async def __call__(self, scope, receive, send):
        # Django's own __call__, with an executor lent to the request.
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.executors.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                if self.early.answers(scope):
                    await self.early.handle(scope, receive, send)
                else:
                    await self.handle(scope, receive, send)
        finally:
            self.executors.give_back(executor)
