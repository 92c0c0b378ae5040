"""The address that logins are throttled by is the real client's.

uvicorn believes X-Forwarded-For only from the proxies in FORWARDED_ALLOW_IPS.
These tests run the real server and play both a client that forges the header
and a trusted proxy that appends the client's address to it.
"""

import pytest
from django.db import connection
from django.test import TransactionTestCase

from tests.support import PLAIN_HTTP_COOKIES, FormClient, server_environment, start_server

pytestmark = pytest.mark.server

LIMITS = {"LOGIN_THROTTLE_ADDRESS_LIMIT": "2", "LOGIN_THROTTLE_ACCOUNT_LIMIT": "100"}
# The client keeps cookies like urllib: Secure ones never go back over plain HTTP.


class ClientAddressTests(TransactionTestCase):
    def serve(self, forwarded_allow_ips):
        env = server_environment(
            connection.settings_dict,
            FORWARDED_ALLOW_IPS=forwarded_allow_ips,
            **LIMITS,
            **PLAIN_HTTP_COOKIES,
        )
        return start_server(self, env)

    def fail_login(self, server, forwarded_for):
        client = FormClient(server.url)
        headers = {"X-Forwarded-For": forwarded_for}
        status, _, _ = client.submit(
            "/accounts/login/", {"username": "nobody", "password": "wrong"}, headers=headers
        )
        return status

    def test_a_client_cannot_choose_its_address_with_the_header(self):
        server = self.serve(forwarded_allow_ips="192.0.2.1")  # a proxy that is not us
        self.assertEqual(self.fail_login(server, "203.0.113.1"), 200)
        self.assertEqual(self.fail_login(server, "203.0.113.2"), 200)
        # A third "address" is still the same client, 127.0.0.1: throttled.
        self.assertEqual(self.fail_login(server, "203.0.113.3"), 429, server.output())

    def test_behind_a_trusted_proxy_each_client_is_counted_apart(self):
        server = self.serve(forwarded_allow_ips="127.0.0.1")  # we are the proxy
        self.assertEqual(self.fail_login(server, "203.0.113.1"), 200)
        self.assertEqual(self.fail_login(server, "203.0.113.1"), 200)
        self.assertEqual(self.fail_login(server, "203.0.113.1"), 429)
        self.assertEqual(self.fail_login(server, "203.0.113.2"), 200)
        # The client forged a first entry; the proxy appended the real one.
        self.assertEqual(self.fail_login(server, "198.51.100.9, 203.0.113.1"), 429)
