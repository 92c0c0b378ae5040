"""What a request goes through is the same on both handlers that
``ASGI_HANDLER`` can name (the fast path and Django's own): sessions,
messages, the ORM guard, one request per thread and connection, static files
and the health endpoints, proven through the application config.asgi serves,
called in-process with real ASGI messages."""

import asyncio
import json
import warnings

from django.test import TransactionTestCase

from config.tests.asgi import AsgiClient, ServedApplicationMixin, run
from health.checks import close_readiness_pool


class RequestPathBehaviour(ServedApplicationMixin):
    """The specification; a subclass per handler runs it."""

    def test_a_modified_session_is_saved(self):
        async def scenario():
            await self.client.get("/t/session-set/?value=42")
            return await self.client.get("/t/session-get/")

        self.assertEqual(run(scenario), (200, "42"))

    def test_messages_are_shown_once(self):
        async def scenario():
            await self.client.get("/t/message-add/")
            _, first = await self.client.get("/about/")
            _, second = await self.client.get("/about/")
            return first, second

        first, second = run(scenario)
        self.assertIn("A message for you", first)
        self.assertNotIn("A message for you", second)

    def test_an_orm_call_on_the_event_loop_still_raises(self):
        async def scenario():
            return await self.client.get("/t/orm-on-the-loop/")

        self.assertEqual(run(scenario), (200, "refused"))

    def test_concurrent_requests_never_share_a_thread_or_a_connection(self):
        async def scenario():
            return await asyncio.gather(
                *[AsgiClient(self.application).get("/t/who/") for _ in range(6)]
            )

        served = [json.loads(body) for _, body in run(scenario)]
        for i, one in enumerate(served):
            for other in served[i + 1 :]:
                # A thread is a request's from its start; a connection from
                # when the pool handed it over (a request may wait for one).
                if one["started"] < other["ended"] and other["started"] < one["ended"]:
                    self.assertNotEqual(one["thread"], other["thread"])
                if one["acquired"] < other["ended"] and other["acquired"] < one["ended"]:
                    self.assertNotEqual(one["backend"], other["backend"])
        overlapping = any(
            a["started"] < b["ended"] and b["started"] < a["ended"]
            for i, a in enumerate(served)
            for b in served[i + 1 :]
        )
        self.assertTrue(overlapping, "the requests did not run at the same time")

    def test_a_static_file_is_served_with_its_type_and_the_security_headers(self):
        async def scenario():
            return await self.client.request_with_headers("GET", "/static/css/site.css")

        with warnings.catch_warnings():
            # Django's own handler drains whitenoise's file iterator in a
            # thread, and says so; the fast path serves it from memory.
            warnings.filterwarnings("ignore", "StreamingHttpResponse must consume synchronous")
            status, headers, body = run(scenario)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/css"), headers)
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertIn("X-Request-ID".lower(), headers)
        self.assertIn("body", body)

    def test_the_health_endpoints_answer(self):
        async def scenario():
            try:
                return await self.client.get("/healthz"), await self.client.get("/readyz")
            finally:
                await close_readiness_pool()  # as the server does when it stops

        (live, live_body), (ready, ready_body) = run(scenario)
        self.assertEqual((live, live_body), (200, "ok\n"))
        self.assertEqual(ready, 200)
        self.assertEqual(json.loads(ready_body)["status"], "ok")


class FastPathTests(RequestPathBehaviour, TransactionTestCase):
    handler_name = "fastpath"

    def test_it_loads_the_async_equivalents(self):
        handler = self.application.app.app
        view_middleware = [m.__qualname__ for m in handler._view_middleware]
        self.assertIn("CsrfViewMiddleware.aprocess_view", view_middleware)

    def test_request_threads_are_reused_one_request_at_a_time(self):
        async def scenario():
            return [await self.client.get("/t/who/") for _ in range(3)]

        threads = {json.loads(body)["thread"] for _, body in run(scenario)}
        self.assertEqual(len(threads), 1)


class DjangoHandlerTests(RequestPathBehaviour, TransactionTestCase):
    handler_name = "django"

    def test_it_is_djangos_own_handler_with_djangos_own_middleware(self):
        from django.core.handlers.asgi import ASGIHandler

        handler = self.application.app.app
        self.assertIs(type(handler), ASGIHandler)
        modules = {m.__self__.__class__.__module__ for m in handler._view_middleware}
        self.assertNotIn("fastpath.middleware", modules)
