"""On SIGTERM, uvicorn (with the image's flags) stops taking connections,
lets the request in flight finish, and exits 0."""

import signal
import socket
import tempfile
import time
import urllib.parse
from pathlib import Path

from django.db import connection
from django.test import TransactionTestCase

from accounts.tests.factories import csrf_token_in
from tests.support import FormClient, Server, server_environment


class GracefulShutdownTests(TransactionTestCase):
    def setUp(self):
        workdir = tempfile.TemporaryDirectory(prefix="graceful-shutdown-")
        self.addCleanup(workdir.cleanup)
        env = server_environment(
            connection.settings_dict, SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false"
        )
        self.server = Server(env).start(Path(workdir.name) / "uvicorn.log")
        self.addCleanup(self.server.stop)

    def slow_login_request(self):
        """Open a login POST whose body is only half sent: a request in flight."""
        client = FormClient(self.server.url)
        _, _, page = client.request("/accounts/login/")
        token = csrf_token_in(page)
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
        body = urllib.parse.urlencode(
            {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": token}
        ).encode()
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        head = (
            f"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        half = len(body) // 2
        sock.sendall(head + body[:half])
        return sock, body[half:]

    def test_the_request_in_flight_finishes_and_the_process_exits_0(self):
        sock, rest = self.slow_login_request()
        time.sleep(0.5)  # the server is now waiting for the rest of the body
        self.server.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        refused = False
        while time.monotonic() < deadline and not refused:
            try:
                socket.create_connection(("127.0.0.1", self.server.port), timeout=1).close()
                time.sleep(0.05)
            except ConnectionRefusedError:
                refused = True
        self.assertTrue(refused, "new connections were still accepted after SIGTERM")
        self.assertIsNone(self.server.process.poll(), "the server quit with a request in flight")

        sock.sendall(rest)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
        sock.close()
        self.assertTrue(response.startswith(b"HTTP/1.1 200 "), response[:200])
        self.assertIn(b"did not match", response)
        self.assertEqual(self.server.process.wait(timeout=20), 0, self.server.output())
