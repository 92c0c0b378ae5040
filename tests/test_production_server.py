"""The real uvicorn process, run as in production with the settings' defaults
(HTTPS redirect, secure cookies, HSTS, CSP) behind a TLS-terminating proxy:
the test plays that proxy (FORWARDED_ALLOW_IPS=127.0.0.1) and sends
X-Forwarded-Proto: https, as a load balancer does."""

import json
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie

import pytest
from django.test import TransactionTestCase

from accounts.models import User
from accounts.tests.factories import csrf_token_in, signup_form
from tests.support import LiveServerMixin, NoRedirect, get

pytestmark = pytest.mark.server

HOST = "shop.example.com"
HTTPS = {"Host": HOST, "X-Forwarded-Proto": "https"}
POD_IP = "10.244.3.17"


class ProductionServerTests(LiveServerMixin, TransactionTestCase):
    server_env = {
        "ALLOWED_HOSTS": HOST,
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "true",
    }
    server_env_unset = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS")
    plain_http_cookies = False

    def get(self, path, **headers):
        return get(self.server.url + path, headers=headers)

    def test_plain_http_is_redirected_to_https(self):
        status, headers, _ = self.get("/about/", Host=HOST)
        self.assertEqual(status, 301)
        self.assertEqual(headers["Location"], f"https://{HOST}/about/")

    def test_pages_carry_the_security_headers(self):
        status, headers, _ = self.get("/", **HTTPS)
        self.assertEqual(status, 200, self.server.output())
        self.assertEqual(
            headers["Strict-Transport-Security"], "max-age=31536000; includeSubDomains"
        )
        self.assertEqual(headers["X-Frame-Options"], "DENY")
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(headers["Referrer-Policy"], "same-origin")
        self.assertEqual(headers["Cross-Origin-Opener-Policy"], "same-origin")
        self.assertNotIn("Server", headers)

    def test_pages_carry_a_strict_content_security_policy(self):
        _, headers, _ = self.get("/", **HTTPS)
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in headers["Content-Security-Policy"].split(";")
        )
        self.assertEqual(policy["default-src"], "'self'")
        self.assertEqual(policy["object-src"], "'none'")
        self.assertEqual(policy["base-uri"], "'none'")
        self.assertEqual(policy["frame-ancestors"], "'none'")
        self.assertEqual(policy["form-action"], "'self'")
        self.assertNotIn("unsafe-inline", headers["Content-Security-Policy"])

    def form_page(self, path):
        """GET a form page over HTTPS; return (its CSRF token, the Cookie
        header a browser would send back)."""
        status, headers, page = self.get(path, **HTTPS)
        self.assertEqual(status, 200, self.server.output())
        cookies = SimpleCookie()
        for header in headers.get_all("Set-Cookie"):
            cookies.load(header)
        return csrf_token_in(page.decode()), cookies.output(attrs=[], header="", sep=";")

    def send(self, method, path, fields, cookie, origin=f"https://{HOST}"):
        """Send a form as a browser would, from ``origin``."""
        request = urllib.request.Request(
            self.server.url + path,
            data=urllib.parse.urlencode(fields).encode(),
            method=method,
            headers={**HTTPS, "Cookie": cookie, "Origin": origin},
        )
        opener = urllib.request.build_opener(NoRedirect())
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def cookie_attributes(self, headers, name):
        (header,) = [c for c in headers.get_all("Set-Cookie") if c.startswith(f"{name}=")]
        return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}, header

    def test_the_csrf_cookie_is_secure_and_same_site_lax(self):
        _, headers, _ = self.get("/accounts/login/", **HTTPS)
        attributes, header = self.cookie_attributes(headers, "csrftoken")
        self.assertLessEqual({"secure", "samesite"}, attributes)
        self.assertIn("SameSite=Lax", header)

    def test_the_session_cookie_is_http_only_secure_and_same_site_lax(self):
        token, cookie = self.form_page("/accounts/signup/")
        fields = signup_form("ada", csrfmiddlewaretoken=token)
        status, headers, _ = self.send("POST", "/accounts/signup/", fields, cookie)
        self.assertEqual(status, 302, self.server.output())
        attributes, header = self.cookie_attributes(headers, "sessionid")
        self.assertLessEqual({"httponly", "secure", "samesite"}, attributes)
        self.assertIn("SameSite=Lax", header)

    def test_a_signup_without_its_csrf_token_is_refused_on_every_unsafe_method(self):
        token, cookie = self.form_page("/accounts/signup/")
        fields = signup_form("mallory")
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            with self.subTest(method=method):
                status, _, body = self.send(method, "/accounts/signup/", fields, cookie)
                self.assertEqual(status, 403, body[:300])
                self.assertIn(b"This form has expired", body)
        self.assertFalse(User.objects.filter(username="mallory").exists())
        fields["csrfmiddlewaretoken"] = token
        status, _, _ = self.send(
            "POST", "/accounts/signup/", fields, cookie, "https://evil.example"
        )
        self.assertEqual(status, 403)
        status, _, _ = self.send("POST", "/accounts/signup/", fields, cookie)
        self.assertEqual(status, 302, self.server.output())
        self.assertTrue(User.objects.filter(username="mallory").exists())

    def test_probes_with_a_pod_ip_over_plain_http_get_answers(self):
        status, _, body = self.get("/healthz", Host=POD_IP)
        self.assertEqual((status, body), (200, b"ok\n"))
        status, _, body = self.get("/readyz", Host=POD_IP)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["status"], "ok")

    def test_error_pages_are_ours_and_leak_nothing(self):
        status, _, body = self.get("/", Host="attacker.example", **{"X-Forwarded-Proto": "https"})
        self.assertEqual(status, 400)
        self.assertIn(b"Bad request", body)
        self.assertNotIn(b"attacker.example", body)
        self.assertNotIn(b"DisallowedHost", body)

        request = urllib.request.Request(
            self.server.url + "/accounts/login/", data=b"username=a&password=b", headers=HTTPS
        )
        try:
            urllib.request.urlopen(request, timeout=10)
            self.fail("a POST without a CSRF token was accepted")
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        self.assertEqual(status, 403)
        self.assertIn(b"This form has expired", body)
        self.assertNotIn(b"CSRF verification failed", body)
        self.assertNotIn(b"Referer", body)

        status, _, body = self.get("/no-such-page/?q=1", **HTTPS)
        self.assertEqual(status, 404)
        self.assertIn(b"Page not found", body)
        self.assertNotIn(b"no-such-page", body)

    def test_logs_are_json_lines_with_request_ids_and_no_query_strings(self):
        status, headers, _ = self.get("/about/?token=s3cret", **HTTPS, **{"X-Request-ID": "lb-7"})
        self.assertEqual((status, headers["X-Request-ID"]), (200, "lb-7"))
        self.get("/healthz", Host=POD_IP)
        lines = [json.loads(line) for line in self.server.output().splitlines() if line]
        for line in lines:
            self.assertLessEqual({"time", "level", "logger", "message", "request_id"}, set(line))
        (access,) = [line for line in lines if line.get("request_id") == "lb-7"]
        self.assertEqual(
            (access["logger"], access["method"], access["path"], access["status"]),
            ("logs.access", "GET", "/about/", 200),
        )
        self.assertNotIn("s3cret", self.server.output())
        self.assertFalse([line for line in lines if line.get("path") == "/healthz"])
