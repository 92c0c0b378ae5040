"""What one client may cost the real server, as the image runs it: the size of
a body and of the headers, the time to send them, and the connections held.

Each class runs the server with small limits (the variables of "Request limits"
in docs/production.md) so that every wait is short; a hostile client talks to it over
raw sockets, and an ordinary client checks that it is still served.
"""

import resource
import subprocess
import threading
import time

import pytest
from django.db import connection
from django.test import TransactionTestCase

from accounts.tests.factories import csrf_token_in
from limits import turns
from tests.support import (
    APP_DIR,
    ENTRYPOINT,
    PYTHON,
    FormClient,
    LiveServerMixin,
    RawConnection,
    get,
    server_environment,
    start_server,
)

pytestmark = pytest.mark.server

BODY_LIMIT = 65_536
HEADER_TIMEOUT = 1
BODY_TIMEOUT = 1
# Generous bounds on how long the server may take to drop a client: many
# times the timeouts, so that a loaded machine does not fail them, yet far
# below the minute a client once held a connection for.
DROPPED_WITHIN = 10


def request_head(path="/", method="GET", *headers):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class ServerMixin(LiveServerMixin):
    """The class's server, and raw connections to it."""

    def connect(self, timeout=DROPPED_WITHIN):
        raw = RawConnection(self.server.port, timeout=timeout)
        self.addCleanup(raw.close)
        return raw

    def assertServed(self):
        status, _, _ = get(self.server.url + "/")
        self.assertEqual(status, 200, self.server.output()[-2000:])

    def assertServedOnceClosed(self, held, waiting_on="/"):
        """Close the ``held`` connections; once ``waiting_on`` answers 200
        again (the server has seen them go), pages are served."""
        for raw in held:
            raw.close()
        deadline = time.monotonic() + DROPPED_WITHIN
        while get(self.server.url + waiting_on)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertServed()


class BodyLimitTests(ServerMixin, TransactionTestCase):
    server_env = {"REQUEST_MAX_BODY_SIZE": str(BODY_LIMIT)}

    def test_a_declared_body_over_the_limit_gets_413_before_it_is_sent(self):
        raw = self.connect()
        raw.send(
            request_head(
                "/accounts/login/",
                "POST",
                "Content-Type: application/x-www-form-urlencoded",
                "Content-Length: 300000000",
                "Expect: 100-continue",
            )
        )
        status, headers, body = raw.response()  # no 100 Continue: the body is not wanted
        self.assertEqual(status, 413)
        self.assertEqual(headers["connection"], "close")
        self.assertIn(b"That was too large", body)
        self.assertIn(b"64.0", body)  # the limit, as the page states it (64.0 KB)

    def test_the_413_page_carries_the_usual_headers_and_a_log_line(self):
        raw = self.connect()
        raw.send(request_head("/", "POST", "Content-Length: 300000000", "X-Request-ID: big-1"))
        status, headers, _ = raw.response()
        self.assertEqual((status, headers["x-request-id"]), (413, "big-1"))
        self.assertEqual(headers["x-frame-options"], "DENY")
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertIn("default-src 'self'", headers["content-security-policy"])
        self.assertIn('"request_id": "big-1"', self.server.output())

    def test_every_path_answers_it_the_health_endpoints_too(self):
        for path in ("/healthz", "/readyz", "/", "/static/css/site.css", "/no-such-page/"):
            with self.subTest(path), self.connect() as raw:
                raw.send(request_head(path, "POST", "Content-Length: 300000000"))
                self.assertEqual(raw.response()[0], 413)

    def test_a_chunked_body_is_cut_at_the_limit(self):
        raw = self.connect()
        raw.send(request_head("/healthz", "POST", "Transfer-Encoding: chunked"))
        chunk = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
        sent = 0
        while sent < 300_000_000 and raw.send(chunk):
            sent += len(chunk)
        status, _, body = raw.response()
        self.assertEqual(status, 413)
        self.assertIn(b"That was too large", body)
        self.assertLess(sent, 100_000_000, "the server kept reading a body past its limit")

    def test_a_body_within_the_limit_is_served(self):
        client = FormClient(self.server.url)
        status, _, page = client.submit(
            "/accounts/login/",
            {"username": "nobody", "password": "wrong", "padding": "x" * (BODY_LIMIT // 2)},
        )
        self.assertEqual(status, 200)
        self.assertIn("did not match", page)


class HeaderLimitTests(ServerMixin, TransactionTestCase):
    server_env = {
        "REQUEST_MAX_HEADER_SIZE": "16384",
        "REQUEST_MAX_HEADERS": "100",
        "REQUEST_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "REQUEST_BODY_TIMEOUT": str(BODY_TIMEOUT),
    }

    def test_headers_within_the_limits_are_served(self):
        fields = [f"X-Field-{n}: {'v' * 100}" for n in range(90)]
        raw = self.connect()
        raw.send(request_head("/", "GET", "Connection: close", *fields))
        self.assertEqual(raw.response()[0], 200)

    def test_a_header_block_over_the_size_limit_gets_431(self):
        fields = [f"X-Field-{n}: {'v' * 400}" for n in range(45)]  # 18 KB
        raw = self.connect()
        raw.send(request_head("/", "GET", *fields))
        status, headers, _ = raw.response()
        self.assertEqual(status, 431)
        self.assertEqual(headers["connection"], "close")

    def test_more_header_fields_than_the_limit_get_431(self):
        fields = [f"X-{n}: 1" for n in range(101)]
        raw = self.connect()
        raw.send(request_head("/", "GET", *fields))
        self.assertEqual(raw.response()[0], 431)

    def test_a_header_that_never_ends_is_cut_off(self):
        raw = self.connect()
        raw.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        sent = 0
        while sent < 100_000_000 and raw.send(b"a" * 65536):
            sent += 65536
        self.assertEqual(raw.response()[0], 431)
        self.assertLess(sent, 32_000_000, "the server kept buffering one header")
        self.assertServed()

    def test_a_client_sending_its_headers_slowly_is_dropped_while_others_are_served(self):
        raw = self.connect()
        started = time.monotonic()
        for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n":
            if not raw.send(bytes([byte])):
                break
            self.assertServed()
            time.sleep(0.2)
        status, _, _ = raw.response()
        self.assertEqual(status, 408)
        self.assertLess(time.monotonic() - started, DROPPED_WITHIN)

    def test_an_idle_connection_is_closed_without_an_answer(self):
        raw = self.connect()
        started = time.monotonic()
        self.assertEqual(raw.response(), (None, {}, b""))
        self.assertLess(time.monotonic() - started, DROPPED_WITHIN)

    def test_a_kept_alive_connection_that_starts_a_request_slowly_is_dropped(self):
        raw = self.connect()
        raw.send(request_head("/healthz"))
        raw.send(b"GET / HT")  # the next request, never finished
        status, _, body = raw.response()
        self.assertEqual(status, 200)  # the first request's answer
        self.assertIn(b"408 Request Timeout", body)

    def test_a_client_sending_its_body_slowly_is_dropped(self):
        raw = self.connect()
        raw.send(request_head("/accounts/login/", "POST", "Content-Length: 1000") + b"username=")
        started = time.monotonic()
        status, _, _ = raw.response()
        self.assertEqual(status, 408)
        self.assertLess(time.monotonic() - started, DROPPED_WITHIN)
        self.assertServed()


class InFlightLimitTests(ServerMixin, TransactionTestCase):
    MAX_IN_FLIGHT = 3
    server_env = {"WEB_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT), "REQUEST_BODY_TIMEOUT": "60"}

    def fill(self):
        """Hold as many requests as the bound (their bodies never come), and
        return them with the answer to one more: until the server has read
        their headers, that one is served, so it is asked again."""
        held = []
        for _ in range(self.MAX_IN_FLIGHT):
            raw = self.connect()
            raw.send(request_head("/accounts/login/", "POST", "Content-Length: 1000"))
            held.append(raw)
        deadline = time.monotonic() + DROPPED_WITHIN
        while (answer := self.one_more())[0] == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        return held, answer

    def one_more(self):
        with RawConnection(self.server.port, timeout=5) as raw:
            raw.send(request_head("/"))
            return raw.response()

    def test_a_request_beyond_the_bound_gets_503_with_retry_after_at_once(self):
        held, (status, headers, _) = self.fill()
        self.assertEqual(
            (status, headers["retry-after"], headers["connection"]), (503, "1", "close")
        )
        self.assertIn("too many requests in flight", self.server.output())
        self.assertServedOnceClosed(held)

    def test_the_probes_are_answered_however_full_the_process_is(self):
        held, (status, _, _) = self.fill()
        self.assertEqual(status, 503)
        for path in ("/healthz", "/readyz"):
            with self.subTest(path):
                self.assertEqual(get(self.server.url + path)[0], 200)
        for raw in held:
            raw.close()


class TurnTests(ServerMixin, TransactionTestCase):
    """limits.turns on the real server: one turn, held by a login while it
    hashes the password it was given (a few hundred milliseconds)."""

    server_env = {
        "WEB_CONCURRENCY": "1",
        "WEB_ACTIVE_REQUESTS": "1",
        "WEB_MAX_QUEUE_WAIT": "0.05",
        # The tests log in (wrongly) many times, to hold the turn.
        "LOGIN_THROTTLE_ACCOUNT_LIMIT": "1000",
        "LOGIN_THROTTLE_ADDRESS_LIMIT": "1000",
    }

    @staticmethod
    def one_response(raw):
        """(status, headers, body) of the next response on a kept-alive
        connection (read to its Content-Length)."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = raw.sock.recv(65536)
            if not chunk:
                return None, {}, b""
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        while len(body) < int(headers.get("content-length", 0)):
            body += raw.sock.recv(65536)
        return int(lines[0].split()[1]), headers, body

    def login(self):
        """A login's whole request on a connection of its own, not yet answered."""
        client = FormClient(self.server.url)
        _, _, page = client.request("/accounts/login/")
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
        body = f"username=nobody&password=wrong&csrfmiddlewaretoken={csrf_token_in(page)}"
        raw = self.connect()
        raw.send(
            request_head(
                "/accounts/login/",
                "POST",
                f"Cookie: {cookie}",
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            )
            + body.encode()
        )
        return raw

    def learn_pace(self):
        """Logins, one after another, until the process knows its pace: about
        the length of a hash (limits.turns.PACE_AFTER_TURNS)."""
        for _ in range(turns.PACE_AFTER_TURNS):
            self.assertEqual(self.one_response(self.login())[0], 200)

    def test_a_request_that_cannot_be_served_in_time_is_refused_and_its_connection_kept(self):
        self.learn_pace()
        with RawConnection(self.server.port, timeout=5) as raw:
            for _ in range(5):  # a try is lost if the GET takes the turn first
                holder = self.login()
                time.sleep(0.1)  # the login takes the turn, and hashes
                raw.send(request_head("/"))
                status, headers, body = self.one_response(raw)
                held = self.one_response(holder)[0]
                if status == 503:
                    break
            self.assertEqual(status, 503)
            self.assertEqual(held, 200)
            self.assertEqual(headers["retry-after"], "1")
            self.assertNotEqual(headers.get("connection"), "close")
            self.assertIn(b"busy", body)
            raw.send(request_head("/"))  # the same connection, the turn free
            self.assertEqual(self.one_response(raw)[0], 200)
        self.assertIn("could not be answered within WEB_MAX_QUEUE_WAIT", self.server.output())

    def test_a_request_pipelined_behind_one_being_answered_is_answered_after_it(self):
        self.learn_pace()
        holder = self.login()
        time.sleep(0.1)  # the login takes the turn, and hashes
        holder.send(request_head("/"))  # on the same connection, before its answer
        login_status, _, login_page = self.one_response(holder)
        home_status, _, home_page = self.one_response(holder)
        self.assertEqual(login_status, 200)
        self.assertIn(b'name="password"', login_page)
        self.assertEqual(home_status, 200)  # started once the login gave its turn back
        self.assertNotIn(b'name="password"', home_page)

    def test_a_request_whose_body_is_slow_holds_no_turn(self):
        slow = self.connect()
        slow.send(request_head("/accounts/login/", "POST", "Content-Length: 1000"))
        time.sleep(0.2)
        for _ in range(3):
            self.assertServed()
        slow.close()

    def test_the_probes_never_wait_for_a_turn(self):
        # Paced, so that a request that had to wait would be refused (503).
        self.learn_pace()
        holder = self.login()
        time.sleep(0.1)  # the login takes the turn, and hashes
        for path in ("/healthz", "/readyz"):
            with self.subTest(path):
                self.assertEqual(get(self.server.url + path)[0], 200)
        holder.close()


class ConnectionLimitTests(ServerMixin, TransactionTestCase):
    MAX_CONNECTIONS = 20
    server_env = {"WEB_MAX_CONNECTIONS": str(MAX_CONNECTIONS), "REQUEST_HEADER_TIMEOUT": "60"}

    def open_slow_clients(self, count, head=b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"):
        clients = [self.connect() for _ in range(count)]
        for raw in clients:
            raw.send(head)
        return clients

    def test_clients_holding_connections_without_requests_lock_nobody_out(self):
        slow = self.open_slow_clients(3 * self.MAX_CONNECTIONS)
        for _ in range(5):
            self.assertServed()
        still_open = [raw for raw in slow if not raw.is_closed_by_server(wait=0.05)]
        self.assertLessEqual(len(still_open), self.MAX_CONNECTIONS)

    def test_when_every_connection_serves_a_request_a_new_one_gets_503_at_once(self):
        busy = self.open_slow_clients(
            self.MAX_CONNECTIONS,
            request_head("/accounts/login/", "POST", "Content-Length: 1000"),
        )
        self.assertTrue(all(not raw.is_closed_by_server() for raw in busy))
        with RawConnection(self.server.port, timeout=5) as raw:
            raw.send(request_head("/"))
            status, headers, _ = raw.response()
        self.assertEqual(status, 503)
        self.assertEqual(headers["retry-after"], "1")
        self.assertServedOnceClosed(busy, waiting_on="/healthz")


class OpenFilesTests(TransactionTestCase):
    """The process's file limit against WEB_MAX_CONNECTIONS."""

    FILE_LIMIT = 256

    def limited(self):
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.FILE_LIMIT, self.FILE_LIMIT))

    def test_a_process_short_of_open_files_refuses_to_start_naming_the_variable(self):
        env = server_environment(connection.settings_dict, WEB_MAX_CONNECTIONS="1000")
        result = subprocess.run(
            [ENTRYPOINT, PYTHON, "-m", "server", "--port", "0"],
            cwd=APP_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=self.limited,
            check=False,
        )
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        (line,) = result.stderr.strip().splitlines()
        self.assertIn("WEB_MAX_CONNECTIONS needs 1", line)
        self.assertIn(f"the limit is {self.FILE_LIMIT}", line)

    def test_a_flood_past_the_file_limit_locks_nobody_out(self):
        env = server_environment(connection.settings_dict, WEB_MAX_CONNECTIONS="150")
        limit = (self.FILE_LIMIT, self.FILE_LIMIT)
        server = start_server(self, env, limits={resource.RLIMIT_NOFILE: limit})
        flood = []
        self.addCleanup(lambda: [raw.close() for raw in flood])
        errors = []

        def open_connections():
            for _ in range(2 * self.FILE_LIMIT):
                try:
                    raw = RawConnection(server.port, timeout=5)
                    raw.send(b"GET / HTTP/1.1\r\n")
                    flood.append(raw)
                except OSError as error:
                    errors.append(error)

        flooding = threading.Thread(target=open_connections)
        flooding.start()
        flooding.join(timeout=60)
        for _ in range(5):
            status, _, _ = get(server.url + "/")
            self.assertEqual(status, 200, server.output()[-2000:])
        self.assertNotIn("Too many open files", server.output())
