"""A forged Host header cannot steer a password-reset link: the real server,
with the site's ALLOWED_HOSTS, answers it with our 400 page and sends no mail.
(Django builds the link from the request's host; ``ALLOWED_HOSTS=*`` would let
an attacker's host into the mail, and the settings refuse it.)"""

import pytest
from django.test import TransactionTestCase

from accounts.tests.factories import csrf_token_in, make_user
from tests.support import FormClient, LiveServerMixin

pytestmark = pytest.mark.server

FORGED = "evil.example.net"


class ForgedHostTests(LiveServerMixin, TransactionTestCase):
    collect_mail = True

    def setUp(self):
        make_user("ada", password="a-long-password-1")

    def request_reset(self, host):
        """GET the form on the site's host, then POST it with ``host``."""
        client = FormClient(self.server.url)
        status, _, page = client.request("/accounts/password_reset/")
        self.assertEqual(status, 200, self.server.output())
        token = csrf_token_in(page)
        return client.request(
            "/accounts/password_reset/",
            {"email": "ada@example.com", "csrfmiddlewaretoken": token},
            headers={"Host": host},
        )

    def test_a_forged_host_gets_our_400_page_and_no_mail(self):
        status, _, body = self.request_reset(FORGED)
        self.assertEqual(status, 400)
        self.assertIn("<h1>Bad request</h1>", body)
        self.assertNotIn(FORGED, body)
        self.assertEqual(self.delivered_mail(), [])

    def test_the_site_host_gets_a_link_to_the_site(self):
        status, _, _ = self.request_reset("127.0.0.1")
        self.assertEqual(status, 302, self.server.output())
        (text,) = self.delivered_mail()
        self.assertIn("http://127.0.0.1/accounts/reset/", text)
        self.assertNotIn(FORGED, text)
