"""Requests sent in-process to what ``config.asgi`` serves (on either handler
``ASGI_HANDLER`` can name), with real ASGI messages, and the cookies kept as
a browser keeps them."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie

from django.conf import settings
from django.test import Client, override_settings

from accounts.tests.factories import csrf_token_in
from server.application import served_application


def production_handler(name=None):
    """What config.asgi serves for HTTP, made here: the tests run without
    ALLOWED_HOSTS, which the server's entry point requires. ``name`` is a
    value of ``ASGI_HANDLER`` (by default the setting's)."""
    return served_application(name)


class ServedApplicationMixin:
    """For a test case: ``self.application``, what config.asgi serves, on the
    handler ``handler_name`` names, with the test URLconf (``config.tests.urls``)
    and static files found in the apps; ``self.client``, an AsgiClient to it."""

    handler_name = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.enterClassContext(
            override_settings(ROOT_URLCONF="config.tests.urls", WHITENOISE_USE_FINDERS=True)
        )
        cls.application = production_handler(cls.handler_name)

    def setUp(self):
        super().setUp()
        self.client = AsgiClient(self.application)


FORM = [("content-type", "application/x-www-form-urlencoded")]


class AsgiClient:
    """Sends requests to an ASGI app and keeps its cookies, like a browser."""

    def __init__(self, app):
        self.app = app
        self.cookies = {}

    async def request(self, method, path, body=b"", headers=()):
        """The answer's status and its body as text."""
        status, _, text = await self.request_with_headers(method, path, body, headers)
        return status, text

    async def request_with_headers(self, method, path, body=b"", headers=()):
        """The answer's status, its headers (by lower-case name) and its body."""
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
        answer_headers = {key.decode().lower(): value.decode() for key, value in start["headers"]}
        return start["status"], answer_headers, body

    def log_in_as(self, user):
        """Carry a session of ``user``'s, as after a login."""
        client = Client()
        client.force_login(user)
        self.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[
            settings.SESSION_COOKIE_NAME
        ].value

    async def csrf_token(self, page):
        """The CSRF token of the form on ``page`` (which sets the cookie too)."""
        status, body = await self.get(page)
        if status != 200:
            raise AssertionError(f"GET {page} answered {status}")
        return csrf_token_in(body)

    def __getattr__(self, method):
        async def call(path, **kwargs):
            return await self.request(method.upper(), path, **kwargs)

        return call


def run(scenario, *args, **kwargs):
    """Run an async function to its end on an event loop of its own, in a
    thread of its own, as the server runs the application: no sync caller
    above it whose thread the handler's sync work could be sent to."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-loop") as loop_thread:
        return loop_thread.submit(asyncio.run, scenario(*args, **kwargs)).result()
