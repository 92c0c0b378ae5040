"""On SIGTERM, the server (the image's command) stops taking connections,
lets the request in flight finish, closes every database connection it
opened, and exits 0."""

import signal
import socket
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test import TransactionTestCase

from accounts.tests.factories import csrf_token_in
from tests.support import (
    PLAIN_HTTP_COOKIES,
    PRODUCTION_COMMAND,
    FormClient,
    Server,
    connections_named,
    database_url,
    get,
    server_environment,
    start_server,
)

pytestmark = pytest.mark.server


class GracefulShutdownTests(TransactionTestCase):
    def setUp(self):
        env = server_environment(connection.settings_dict, **PLAIN_HTTP_COOKIES)
        self.server = start_server(self, env)

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


# The image's command, with one change: when the server has stopped, the
# process prints "stopped" and stays alive, so that a test can look at the
# connections it left on the database server (an exit would drop them all).
assert PRODUCTION_COMMAND[1:3] == ["-m", "server"], PRODUCTION_COMMAND
LINGERING_COMMAND = [
    PRODUCTION_COMMAND[0],
    "-c",
    "import sys, time; from server import run; run.main(sys.argv[1:]); "
    "print('stopped', flush=True); time.sleep(120)",
    *PRODUCTION_COMMAND[3:],
]


class ConnectionsClosedAtShutdownTests(TransactionTestCase):
    def test_every_pool_the_server_opened_is_closed_when_it_stops(self):
        name = f"shutdown-{uuid.uuid4().hex[:8]}"
        env = server_environment(
            connection.settings_dict, DATABASE_APPLICATION_NAME=name, DATABASE_POOL_MIN_SIZE="1"
        )
        postgres = database_url(connection.settings_dict)
        workdir = tempfile.TemporaryDirectory(prefix="pools-at-shutdown-")
        self.addCleanup(workdir.cleanup)
        server = Server(env, command=LINGERING_COMMAND).start(Path(workdir.name) / "server.log")
        self.addCleanup(server.process.wait)
        self.addCleanup(server.process.kill)
        # /readyz uses both pools: the event loop's (the database check) and
        # Django's (the migration check, in a thread).
        self.assertEqual(get(server.url + "/readyz")[0], 200, server.output())
        self.assertGreaterEqual(connections_named(name, postgres), 2)

        server.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while "stopped" not in server.output().splitlines() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("stopped", server.output().splitlines(), server.output())
        self.assertEqual(connections_named(name, postgres), 0)
