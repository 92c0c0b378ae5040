"""Early answers (``fastpath.early``): a probe or a static file is answered
by the outer middleware alone, with the same status, headers, body, access
line and metrics as through Django's own handler, and without Django's
request signals."""

import json
import logging
import warnings

from django.core.signals import request_finished, request_started
from django.test import SimpleTestCase, TransactionTestCase
from prometheus_client import REGISTRY

from config.tests.asgi import AsgiClient, ServedApplicationMixin, production_handler, run
from fastpath.early import outer_middleware
from health.checks import close_readiness_pool

# Differ between any two answers: the request's own id and the clock.
PER_REQUEST = {"x-request-id", "date"}

EARLY = [
    ("GET", "/healthz", ()),
    ("HEAD", "/healthz", ()),
    ("POST", "/healthz", ()),
    ("GET", "/readyz", ()),
    ("GET", "/static/css/site.css", ()),
    ("HEAD", "/static/css/site.css", ()),
    ("GET", "/static/css/site.css", (("range", "bytes=0-9"),)),
    ("GET", "/static/css/site.css", (("if-none-match", '"no-such-etag"'),)),
    ("POST", "/static/css/site.css", ()),
    ("GET", "/static/css/site.css", (("x-forwarded-proto", "https"),)),
]


def answer(application, method, path, headers=()):
    """Status, headers (per-request ones left out) and body; and the access
    line the answer was logged with, as the fields that do not vary."""

    async def scenario():
        try:
            return await AsgiClient(application).request_with_headers(method, path, headers=headers)
        finally:
            await close_readiness_pool()

    logger = logging.getLogger("logs.access")
    records = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.DEBUG
    try:
        with warnings.catch_warnings():
            # Django's own handler drains whitenoise's file iterator in a
            # thread, and says so.
            warnings.filterwarnings("ignore", "StreamingHttpResponse must consume synchronous")
            status, answer_headers, body = run(scenario)
    finally:
        logger.removeHandler(handler)
        logger.level = level
    kept = {name: value for name, value in answer_headers.items() if name not in PER_REQUEST}
    lines = [(r.levelno, r.method, r.path, r.status) for r in records]
    return (status, kept, body), lines


class SignalsSeen:
    def __init__(self):
        self.sent = []

    def __enter__(self):
        request_started.connect(self.started)
        request_finished.connect(self.finished)
        return self

    def __exit__(self, *exc):
        request_started.disconnect(self.started)
        request_finished.disconnect(self.finished)

    def started(self, **kwargs):
        self.sent.append("started")

    def finished(self, **kwargs):
        self.sent.append("finished")


class EarlyAnswerTests(ServedApplicationMixin, TransactionTestCase):
    handler_name = "fastpath"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.djangos = production_handler("django")

    def test_each_early_answer_is_the_one_djangos_handler_gives(self):
        for method, path, headers in EARLY:
            with self.subTest(method=method, path=path, headers=headers):
                self.assertTrue(self.early.answers({"path": path}))
                ours, our_lines = answer(self.application, method, path, headers)
                djangos, djangos_lines = answer(self.djangos, method, path, headers)
                self.assertEqual(ours, djangos)
                self.assertEqual(our_lines, djangos_lines)
                self.assertEqual(len(our_lines), 1)

    def test_an_early_answer_sends_no_request_signal(self):
        with SignalsSeen() as early:
            answer(self.application, "GET", "/healthz")
            answer(self.application, "GET", "/static/css/site.css")
        with SignalsSeen() as whole:
            answer(self.application, "GET", "/about/")
        self.assertEqual(early.sent, [])
        self.assertEqual(whole.sent, ["started", "finished"])

    def test_an_early_answer_is_counted_in_the_metrics(self):
        def count():
            labels = {"route": "healthz", "method": "GET", "status": "200"}
            return REGISTRY.get_sample_value("http_requests_total", labels) or 0

        before = count()
        answer(self.application, "GET", "/healthz")
        self.assertEqual(count(), before + 1)

    def test_readiness_answers_early_with_its_checks(self):
        (status, headers, body), _ = answer(self.application, "GET", "/readyz")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["checks"], {"database": "ok", "migrations": "ok"})
        self.assertEqual(headers["cache-control"], "no-store")

    def test_everything_else_goes_through_the_whole_stack(self):
        for path in ["/about/", "/static/css/no-such-file.css", "/healthz/", "/static/"]:
            with self.subTest(path=path):
                self.assertFalse(self.early.answers({"path": path}))
                self.assertEqual(
                    answer(self.application, "GET", path), answer(self.djangos, "GET", path)
                )

    def test_nothing_is_answered_early_under_a_path_prefix(self):
        self.assertFalse(self.early.answers({"path": "/healthz", "root_path": "/app"}))

    def test_a_path_no_outer_middleware_answers_gets_the_error_page(self):
        # ``answers`` never sends one; if it did, the answer says so.
        async def scenario():
            client = AsgiClient(self.early)
            return await client.get("/about/")

        with self.assertLogs("django.request", "ERROR") as logged:
            status, _ = run(scenario)
        self.assertEqual(status, 500)
        self.assertIn("reached past the middleware that answer early", logged.output[0])

    @property
    def early(self):
        return self.application.app.app.early


class OuterMiddlewareTests(SimpleTestCase):
    def test_the_outer_middleware_end_with_the_last_that_answers_early(self):
        stack = ["a", "health.middleware.HealthCheckMiddleware", "b"]
        self.assertEqual(outer_middleware(stack), stack[:2])
        stack.append("whitenoise.middleware.WhiteNoiseMiddleware")
        self.assertEqual(outer_middleware([*stack, "c"]), stack)
        self.assertEqual(outer_middleware(["a", "b"]), [])
