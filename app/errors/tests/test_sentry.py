import json

import sentry_sdk
from django.test import TestCase, override_settings
from sentry_sdk.transport import Transport

from errors.sentry import init_sentry


class MemoryTransport(Transport):
    """Keeps the envelopes Sentry would send."""

    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def events(self):
        return [
            item.payload.json
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == "event"
        ]


@override_settings(ROOT_URLCONF="config.tests.urls")
class SentryTests(TestCase):
    def setUp(self):
        self.transport = MemoryTransport()
        init_sentry(
            "https://public@sentry.example.invalid/1",
            environment="staging",
            release="3f2c1ab",
            traces_sample_rate=0.0,
            transport=self.transport,
        )
        self.addCleanup(sentry_sdk.init)  # back to no client: nothing is sent
        self.client.raise_request_exception = False

    def test_an_exception_in_a_view_reaches_sentry_with_the_request_id(self):
        self.client.cookies["sessionid"] = "cookie-value-1234"
        response = self.client.post(
            "/broken/",
            {"username": "ada", "password": "hunter2-password"},
            HTTP_X_REQUEST_ID="req-sentry-1",
        )
        self.assertEqual(response.status_code, 500)
        sentry_sdk.flush()
        (event,) = self.transport.events()
        self.assertEqual(event["exception"]["values"][-1]["type"], "RuntimeError")
        self.assertEqual(event["tags"]["request_id"], "req-sentry-1")
        self.assertEqual(event["environment"], "staging")
        self.assertEqual(event["release"], "3f2c1ab")
        sent = json.dumps(event)
        self.assertNotIn("hunter2-password", sent)
        self.assertNotIn("cookie-value-1234", sent)

    def test_default_pii_is_off(self):
        self.assertFalse(sentry_sdk.get_client().should_send_default_pii())
