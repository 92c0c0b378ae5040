import json

from django.test import TestCase, override_settings

from logs.tests.support import JsonLines


@override_settings(ROOT_URLCONF="config.tests.urls")
class RequestLogTests(TestCase):
    def test_a_sane_incoming_request_id_is_kept_and_returned(self):
        response = self.client.get("/", HTTP_X_REQUEST_ID="lb-4f2a.9c")
        self.assertEqual(response["X-Request-ID"], "lb-4f2a.9c")

    def test_an_insane_request_id_is_replaced(self):
        for bad in ("has spaces", "x" * 129, "new\nline", "<script>"):
            with self.subTest(bad=bad):
                response = self.client.get("/", HTTP_X_REQUEST_ID=bad)
                self.assertRegex(response["X-Request-ID"], r"^[0-9a-f]{32}$")

    def test_each_request_gets_its_own_id(self):
        first = self.client.get("/")["X-Request-ID"]
        self.assertNotEqual(first, self.client.get("/")["X-Request-ID"])

    def test_the_access_line_has_method_path_status_duration_and_id(self):
        with JsonLines() as logs:
            self.client.get("/about/?token=s3cret", HTTP_X_REQUEST_ID="req-1")
        (line,) = [line for line in logs.lines if line["logger"] == "logs.access"]
        self.assertEqual(line["level"], "INFO")
        self.assertEqual(line["request_id"], "req-1")
        self.assertEqual((line["method"], line["path"], line["status"]), ("GET", "/about/", 200))
        self.assertIsInstance(line["duration_ms"], float)
        self.assertIn("time", line)
        self.assertEqual(line["message"], f"GET /about/ 200 {line['duration_ms']}ms")

    def test_no_query_string_cookie_or_password_reaches_the_log(self):
        self.client.cookies["sessionid"] = "cookie-value-1234"
        with JsonLines() as logs:
            self.client.get("/no-such-page/?token=s3cret")
            self.client.post(
                "/accounts/login/", {"username": "ada", "password": "hunter2-password"}
            )
        text = json.dumps(logs.lines)
        for secret in ("s3cret", "cookie-value-1234", "hunter2-password"):
            self.assertNotIn(secret, text)

    def test_every_line_of_a_request_carries_its_id(self):
        with JsonLines() as logs:
            self.client.get("/logging/", HTTP_X_REQUEST_ID="req-2")
            self.client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-3")
        by_logger = {(line["logger"], line["request_id"]) for line in logs.lines}
        self.assertIn(("pages", "req-2"), by_logger)
        self.assertIn(("logs.access", "req-2"), by_logger)
        self.assertIn(("django.request", "req-3"), by_logger)
        self.assertIn(("logs.access", "req-3"), by_logger)

    def test_exceptions_are_logged_with_their_traceback_in_one_line(self):
        self.client.raise_request_exception = False
        with JsonLines() as logs:
            self.client.get("/broken/", HTTP_X_REQUEST_ID="req-4")
        (error,) = [line for line in logs.lines if line["logger"] == "django.request"]
        self.assertEqual(error["level"], "ERROR")
        self.assertEqual(error["request_id"], "req-4")
        self.assertIn("RuntimeError: the view broke", error["exception"])


class SecretPathTests(TestCase):
    def test_the_token_of_an_emailed_link_is_not_logged(self):
        with JsonLines() as log:
            self.client.get("/accounts/reset/MQ/abc123-secrettoken/")
            self.client.get("/accounts/email/verify/eyJ1IjoxfQ:1xYl:signature/")
        paths = [line["path"] for line in log.lines if line["logger"] == "logs.access"]
        self.assertEqual(
            paths, ["/accounts/reset/MQ/[redacted]/", "/accounts/email/verify/[redacted]/"]
        )
