"""The request limits' parts, in process: what the real-server tests
(tests/test_request_limits.py, tests/test_odd_requests.py) rely on."""

import asyncio
import re

from django.conf import settings
from django.test import SimpleTestCase, TestCase

from health import paths as health
from limits.asgi import BODY_TOO_LARGE, LimitedBody


def events(*messages):
    queue = list(messages)

    async def receive():
        if queue:
            return queue.pop(0)
        await asyncio.sleep(3600)
        return None

    return receive


def body(chunk, more=True):
    return {"type": "http.request", "body": chunk, "more_body": more}


class LimitedBodyTests(SimpleTestCase):
    def read(self, scope, receive, limit, times):
        limited = LimitedBody(scope, receive, limit)

        async def run():
            return [await limited() for _ in range(times)]

        return asyncio.run(run())

    def test_a_body_within_the_limit_passes_unchanged(self):
        scope = {"headers": [(b"content-length", b"6")]}
        got = self.read(scope, events(body(b"abc"), body(b"def", more=False)), 6, 2)
        self.assertEqual(got, [body(b"abc"), body(b"def", more=False)])
        self.assertNotIn(BODY_TOO_LARGE, scope)

    def test_a_declared_length_over_the_limit_ends_the_body_unread(self):
        scope = {"headers": [(b"content-length", b"300000000")]}
        got = self.read(scope, events(), 10, 1)
        self.assertEqual(got, [body(b"", more=False)])
        self.assertTrue(scope[BODY_TOO_LARGE])

    def test_a_chunked_body_is_cut_then_the_rest_is_dropped_until_the_disconnect(self):
        scope = {"headers": [(b"transfer-encoding", b"chunked")]}
        receive = events(
            body(b"a" * 8), body(b"b" * 8), body(b"c" * 8), {"type": "http.disconnect"}
        )
        got = self.read(scope, receive, 10, 3)
        self.assertEqual(got, [body(b"a" * 8), body(b"", more=False), {"type": "http.disconnect"}])
        self.assertTrue(scope[BODY_TOO_LARGE])


class SettingsTests(SimpleTestCase):
    def test_the_probes_paths_are_exempt_from_the_https_redirect(self):
        exempt = {
            path
            for path in health.PATHS
            if any(
                re.search(pattern, path.lstrip("/")) for pattern in settings.SECURE_REDIRECT_EXEMPT
            )
        }
        self.assertEqual(exempt, set(health.PATHS))

    def test_django_limits_the_form_part_of_a_body_as_we_limit_the_whole(self):
        self.assertEqual(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.REQUEST_MAX_BODY_SIZE)


class FormsThatCannotBeReadTests(TestCase):
    """Through the test client (Django's WSGI path), as under ASGI."""

    def test_a_form_in_another_charset_is_a_bad_request_on_any_url(self):
        for path in ("/accounts/login/", "/no-such-page/"):
            with self.subTest(path):
                response = self.client.post(
                    path, b"a=b", content_type="application/x-www-form-urlencoded; charset=latin-1"
                )
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, "Bad request", status_code=400)

    def test_a_charset_python_does_not_know_is_a_bad_request(self):
        response = self.client.generic(
            "POST", "/", b"a=b", content_type="application/x-www-form-urlencoded; charset=no-such"
        )
        self.assertEqual(response.status_code, 400)
