"""ops.fastpath keeps Django's behaviour and safety: proven through the real
ASGI handler (the one config.asgi serves), called in-process with real ASGI
messages."""

import asyncio
import json
from importlib.metadata import version

import asgiref
import django
from django.conf import settings
from django.test import TransactionTestCase, override_settings

from ops import fastpath
from ops.tests.asgi import AsgiClient, production_handler, run

django_application = production_handler()


class VersionTests(TransactionTestCase):
    def test_the_internals_it_relies_on_are_the_versions_it_was_checked_against(self):
        installed = {
            "django": f"{django.VERSION[0]}.{django.VERSION[1]}",
            "asgiref": ".".join(asgiref.__version__.split(".")[:2]),
            "whitenoise": ".".join(version("whitenoise").split(".")[:2]),
        }
        self.assertEqual(
            installed,
            fastpath.CHECKED_AGAINST,
            "A version changed: read ops/fastpath.py against the new internals, then update "
            "CHECKED_AGAINST.",
        )

    def test_every_replaced_class_is_one_the_settings_use(self):
        self.assertLessEqual(set(fastpath.ASYNC_EQUIVALENTS), set(settings.MIDDLEWARE))

    def test_the_asgi_handler_loads_the_async_equivalents(self):
        view_middleware = [m.__qualname__ for m in django_application._view_middleware]
        self.assertIn("CsrfViewMiddleware.aprocess_view", view_middleware)


@override_settings(ROOT_URLCONF="ops.tests.urls")
class BehaviourTests(TransactionTestCase):
    def setUp(self):
        self.client = AsgiClient(django_application)

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
                *[AsgiClient(django_application).get("/t/who/") for _ in range(6)]
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

    def test_request_threads_are_reused_one_request_at_a_time(self):
        async def scenario():
            return [await self.client.get("/t/who/") for _ in range(3)]

        threads = {json.loads(body)["thread"] for _, body in run(scenario)}
        self.assertEqual(len(threads), 1)
