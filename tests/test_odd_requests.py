"""Requests that are legal HTTP but that Django cannot read, sent to the real
server: each gets the service's 400 page, with the usual headers and a log
line, on every URL; never the server's bare 500."""

import json
import uuid

import pytest
from django.test import TransactionTestCase

from tests.support import LiveServerMixin, RawConnection

pytestmark = pytest.mark.server

FORM = "application/x-www-form-urlencoded"
BODY = b"username=ada&password=secret"
MULTIPART_BODY = b'--b\r\nContent-Disposition: form-data; name="username"\r\n\r\nada\r\n--b--\r\n'

# (what it is, its Content-Type, its body): a POST each.
ODD_POSTS = [
    ("a form in a charset Python does not know", f"{FORM}; charset=no-such-charset", BODY),
    ("a form in Latin-1", f"{FORM}; charset=latin-1", BODY),
    ("a form in UTF-16", f"{FORM}; charset=utf-16", BODY),
    ("a form in a codec that is no text encoding", f"{FORM}; charset=rot13", BODY),
    ("a form in the codec that refuses everything", f"{FORM}; charset=undefined", BODY),
    ("an RFC 2231 charset Python does not know", f"{FORM}; charset*=nope''utf-8", BODY),
    (
        "a multipart form in a codec that is no text encoding",
        "multipart/form-data; boundary=b; charset=base64",
        MULTIPART_BODY,
    ),
    ("a multipart form without a boundary", "multipart/form-data", MULTIPART_BODY),
    ("a Content-Type too long to parse", "text/plain; a=" + "a" * 10_001, b""),
]
# Whatever URL they are sent to: a view, a page that does not exist, a probe.
PATHS = ["/accounts/login/", "/accounts/signup/", "/", "/no-such-page/", "/healthz"]


class OddRequestTests(LiveServerMixin, TransactionTestCase):
    def send(self, method, path, content_type, body):
        request_id = uuid.uuid4().hex
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"X-Request-ID: {request_id}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        with RawConnection(self.server.port) as raw:
            raw.send(head.encode() + body)
            return request_id, *raw.response()

    def log_lines(self, request_id):
        lines = [json.loads(line) for line in self.server.output().splitlines() if line]
        return [line for line in lines if line.get("request_id") == request_id]

    def assertOurBadRequestPage(self, request_id, status, headers, body):
        self.assertEqual(status, 400, body[:300])
        self.assertIn(b"Bad request", body)
        self.assertEqual(headers["x-request-id"], request_id)
        self.assertEqual(headers["x-frame-options"], "DENY")
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertIn("default-src 'self'", headers["content-security-policy"])
        lines = self.log_lines(request_id)
        (access,) = [line for line in lines if line["logger"] == "logs.access"]
        self.assertEqual(access["status"], 400)
        self.assertTrue([line for line in lines if line["level"] == "WARNING"], lines)
        self.assertFalse([line for line in lines if line["level"] == "ERROR"], lines)

    def test_odd_posts_get_our_400_page_on_every_url(self):
        for what, content_type, body in ODD_POSTS:
            for path in PATHS:
                with self.subTest(what, path=path):
                    self.assertOurBadRequestPage(*self.send("POST", path, content_type, body))

    def test_a_get_with_an_unparseable_content_type_gets_our_400_page(self):
        for what, content_type, _ in ODD_POSTS[-1:] + ODD_POSTS[5:6]:
            with self.subTest(what):
                self.assertOurBadRequestPage(*self.send("GET", "/", content_type, b""))

    def test_a_form_in_utf_8_still_reaches_the_view(self):
        _, status, _, body = self.send("POST", "/accounts/login/", f"{FORM}; charset=utf-8", BODY)
        self.assertEqual(status, 403)  # the view's CSRF check: no token was sent
        self.assertIn(b"This form has expired", body)
