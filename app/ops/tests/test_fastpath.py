"""ops.fastpath keeps Django's behaviour and safety: proven through the real
ASGI handler (the one config.asgi serves), called in-process with real ASGI
messages."""

import asyncio
import json
import re
from http.cookies import SimpleCookie
from importlib.metadata import version

import asgiref
import django
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import TransactionTestCase, override_settings

from ops import fastpath

# The handler config.asgi serves, made here: the tests run without ALLOWED_HOSTS,
# which the server's entry point requires.
django_application = fastpath.ASGIHandler()


class AsgiClient:
    """Sends requests to an ASGI app and keeps its cookies, like a browser."""

    def __init__(self, app):
        self.app = app
        self.cookies = {}

    async def request(self, method, path, body=b"", headers=()):
        path, _, query = path.partition("?")
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [
                (b"host", b"testserver"),
                (b"cookie", cookie.encode()),
                *[(k.encode(), v.encode()) for k, v in headers],
            ],
            "client": ("127.0.0.1", 40000),
            "server": ("testserver", 80),
        }
        incoming = [{"type": "http.request", "body": body, "more_body": False}]
        sent = []

        async def receive():
            if incoming:
                return incoming.pop(0)
            await asyncio.Event().wait()  # the client never hangs up first
            return None

        async def send(message):
            sent.append(message)

        await self.app(scope, receive, send)
        start = sent[0]
        for key, value in start["headers"]:
            if key.lower() == b"set-cookie":
                for name, morsel in SimpleCookie(value.decode()).items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
        body = b"".join(m.get("body", b"") for m in sent[1:]).decode()
        return start["status"], body

    def __getattr__(self, method):
        async def call(path, **kwargs):
            return await self.request(method.upper(), path, **kwargs)

        return call


def run(scenario):
    """Run an async scenario to its end, on an event loop of its own."""
    return async_to_sync(scenario)()


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

    def test_csrf_is_enforced_on_unsafe_methods(self):
        async def scenario():
            refused = await self.client.post(
                "/accounts/login/",
                body=b"username=a&password=b",
                headers=[("content-type", "application/x-www-form-urlencoded")],
            )
            _, page = await self.client.get("/accounts/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            accepted = await self.client.post(
                "/accounts/login/",
                body=f"username=a&password=b&csrfmiddlewaretoken={token}".encode(),
                headers=[("content-type", "application/x-www-form-urlencoded")],
            )
            return refused[0], accepted[0]

        self.assertEqual(run(scenario), (403, 200))

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
