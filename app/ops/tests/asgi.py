"""Requests sent in-process to the production ASGI handler (the one
``config.asgi`` serves), with real ASGI messages, and the cookies kept as a
browser keeps them."""

import asyncio
from http.cookies import SimpleCookie

from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import Client

from accounts.tests.factories import csrf_token_in
from ops import fastpath


def production_handler():
    """The handler config.asgi serves, made here: the tests run without
    ALLOWED_HOSTS, which the server's entry point requires."""
    return fastpath.ASGIHandler()


FORM = [("content-type", "application/x-www-form-urlencoded")]


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
    """Run an async function to its end, on an event loop of its own."""
    return async_to_sync(scenario)(*args, **kwargs)
