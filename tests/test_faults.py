"""Faults under load, with real processes on loopback: PostgreSQL restarting,
the server stopping, the pool running out, and data surviving restarts.

The tests that restart PostgreSQL use a server of their own (tests/
postgres_instance.py); every wait is bounded.
"""

import json
import signal
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import SimpleTestCase, TransactionTestCase

from accounts.tests.factories import PASSWORD, csrf_token_in
from health import checks as health
from tests import support
from tests.postgres_instance import PostgresInstance
from tests.support import (
    PLAIN_HTTP_COOKIES,
    FormClient,
    Server,
    connections_named,
    database_url,
    manage,
    server_environment,
    start_server,
)

pytestmark = pytest.mark.faults

APPLICATION_NAME = "fault-test"  # how the service's connections are told apart
PLAIN_HTTP = {
    **PLAIN_HTTP_COOKIES,
    # The load logs in from one address many times.
    "LOGIN_THROTTLE_ACCOUNT_LIMIT": "10000",
    "LOGIN_THROTTLE_ADDRESS_LIMIT": "10000",
    # ... and signs up many users from one address.
    "SIGNUP_THROTTLE_ADDRESS_LIMIT": "10000",
}


def sign_up(url, username, timeout=10, verified_in=None):
    """Sign up through the server; with ``verified_in`` (the database's URL),
    take the address as verified, so that the cookie reaches every page."""
    status, _, cookie = support.sign_up(url, username, PASSWORD, timeout=timeout)
    if verified_in is not None:
        with psycopg.connect(verified_in, autocommit=True) as conn:
            conn.execute(
                "UPDATE accounts_user SET email_verified_at = now() WHERE username = %s",
                [username],
            )
    return status, cookie


def fetch(url, cookie="", timeout=15):
    """(status or the name of the failure, seconds taken)."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (OSError, urllib.error.URLError) as error:
        status = type(getattr(error, "reason", error)).__name__
    return status, started, time.monotonic()


class Load:
    """Threads requesting URLs in a loop; every answer is kept with its times."""

    def __init__(self, targets, threads=4):
        self.targets = targets  # [(url, cookie)]
        self.results = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.work, args=(i,)) for i in range(threads)]

    def work(self, number):
        count = number
        while not self.stopping.is_set():
            url, cookie = self.targets[count % len(self.targets)]
            self.results.append((url, *fetch(url, cookie)))
            count += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


class PrivatePostgresMixin:
    """A PostgreSQL of the test's own, migrated, with the service on it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.postgres = PostgresInstance().start()
        cls.workdir = Path(tempfile.mkdtemp(prefix="faults-"))
        cls.env = server_environment(
            connection.settings_dict,
            DATABASE_URL=cls.postgres.url(),
            DATABASE_APPLICATION_NAME=APPLICATION_NAME,
            DATABASE_POOL_MIN_SIZE="1",
            DATABASE_POOL_MAX_SIZE="4",
            DATABASE_POOL_TIMEOUT="2",
            **PLAIN_HTTP,
        )
        migrated = manage("migrate_with_lock", "--noinput", env=cls.env)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    @classmethod
    def tearDownClass(cls):
        cls.postgres.stop()
        super().tearDownClass()

    def serve(self, **env):
        server = Server({**self.env, **env})
        server.start(self.workdir / f"uvicorn-{uuid.uuid4().hex[:6]}.log")
        self.addCleanup(server.stop)
        return server

    def connections_of_the_service(self):
        """Asked only while PostgreSQL is up: a probe that fails is a failure."""
        return connections_named(APPLICATION_NAME, self.postgres.url())


class PostgresRestartTests(PrivatePostgresMixin, SimpleTestCase):
    def test_errors_only_while_postgres_is_down_and_the_pool_stays_within_its_maximum(self):
        server = self.serve()
        status, cookie = sign_up(server.url, "restart", verified_in=self.postgres.url())
        self.assertEqual(status, 302)
        targets = [(server.url + "/readyz", ""), (server.url + "/", cookie)]
        outages = []
        peak = 0
        with Load(targets) as load:
            for mode in ("fast", "immediate"):
                deadline = time.monotonic() + 1.5
                while time.monotonic() < deadline:
                    peak = max(peak, self.connections_of_the_service())
                    time.sleep(0.1)
                down = time.monotonic()
                self.postgres.restart(mode)
                outages.append((down, time.monotonic()))
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                peak = max(peak, self.connections_of_the_service())
                time.sleep(0.1)
            stopped = time.monotonic()

        def in_an_outage(started, ended):
            return any(started <= up + 1 and ended >= down for down, up in outages)

        answers = load.results
        self.assertGreater(len(answers), 50, "too little load to tell")
        failures = [a for a in answers if a[1] != 200]
        outside = [a for a in failures if not in_an_outage(a[2], a[3])]
        self.assertEqual(outside, [], "requests failed while PostgreSQL was up")
        errors = [line for line in server.output().splitlines() if '"ERROR"' in line]
        self.assertEqual(
            [a for a in failures if a[1] != 503], [], f"a failure other than 503: {errors[-3:]}"
        )
        last_second = [a for a in answers if a[2] > stopped - 1]
        self.assertTrue(last_second and all(a[1] == 200 for a in last_second))
        # The app's pool (DATABASE_POOL_MAX_SIZE) and the readiness check's own.
        self.assertLessEqual(peak, 4 + health.READINESS_POOL_SIZE, "more connections than pooled")
        self.assertGreater(peak, 0)


class DurabilityTests(PrivatePostgresMixin, SimpleTestCase):
    def test_users_created_under_load_survive_a_restart_of_server_and_database(self):
        # Durability, not admission, is under test: the waits (and the
        # client's) are long enough that no signup is turned away busy (503)
        # or given up on, on a loaded machine.
        server = self.serve(
            DATABASE_POOL_TIMEOUT="30", PASSWORD_HASHING_WAIT="60", WEB_MAX_QUEUE_WAIT="60"
        )
        created = []
        refused = []

        def sign_up_many(prefix):
            for n in range(6):
                try:
                    status, _ = sign_up(server.url, f"{prefix}{n}", timeout=120)
                except (AssertionError, OSError) as error:  # the form page failed, or timed out
                    status = str(error)
                (created if status == 302 else refused).append((f"{prefix}{n}", status))

        with Load([(server.url + "/readyz", "")], threads=2):
            workers = [threading.Thread(target=sign_up_many, args=(f"u{t}x",)) for t in range(4)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=300)
        self.assertEqual(refused, [], "every signup under load should succeed")
        self.assertEqual(len(created), 24)
        created = [username for username, _ in created]

        server.process.send_signal(signal.SIGTERM)
        self.assertEqual(server.process.wait(timeout=30), 0)
        self.postgres.restart("immediate")  # a crash: only what was committed survives
        server = self.serve()
        for username in created:
            with self.subTest(username):
                status, _, _ = FormClient(server.url).submit(
                    "/accounts/login/", {"username": username, "password": PASSWORD}
                )
                self.assertEqual(status, 302)


class GracefulShutdownUnderLoadTests(TransactionTestCase):
    def test_every_request_accepted_before_sigterm_completes_normally(self):
        server = start_server(self, server_environment(connection.settings_dict, **PLAIN_HTTP))

        in_flight = [open_login_in_flight(server) for _ in range(8)]
        with Load([(server.url + "/readyz", ""), (server.url + "/about/", "")]) as load:
            time.sleep(0.5)
            signalled = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            answers = [finish(sock, rest) for sock, rest in in_flight]
        self.assertEqual(server.process.wait(timeout=30), 0, server.output())
        self.assertTrue(all(a.startswith(b"HTTP/1.1 200 ") for a in answers), answers)
        before = [r for r in load.results if r[3] < signalled]
        self.assertTrue(before and all(r[1] == 200 for r in before))
        # After the signal a new connection may be refused; a request that was
        # answered was answered normally.
        answered = [r for r in load.results if isinstance(r[1], int)]
        self.assertTrue(all(r[1] == 200 for r in answered), answered)


def open_login_in_flight(server):
    """A login POST whose body is half sent: accepted, not yet complete."""
    client = FormClient(server.url)
    _, _, page = client.request("/accounts/login/")
    token = csrf_token_in(page)
    cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
    body = f"username=nobody&password=wrong&csrfmiddlewaretoken={token}".encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(
        (
            f"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body[: len(body) // 2]
    )
    return sock, body[len(body) // 2 :]


def finish(sock, rest):
    sock.sendall(rest)
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    sock.close()
    return answer


class PoolSaturationTests(TransactionTestCase):
    def test_requests_beyond_the_pool_wait_its_timeout_then_get_503(self):
        env = server_environment(
            connection.settings_dict,
            DATABASE_POOL_MIN_SIZE="0",
            DATABASE_POOL_MAX_SIZE="2",
            DATABASE_POOL_TIMEOUT="1",
            **PLAIN_HTTP,
        )
        server = start_server(self, env)
        status, cookie = sign_up(
            server.url, "saturated", verified_in=database_url(connection.settings_dict)
        )
        self.assertEqual(status, 302)

        results = []
        lock_held = 4.0
        with psycopg.connect(database_url(connection.settings_dict)) as blocker:
            # Every logged-in page reads its session: with the table locked, the
            # first two requests hold the pool's two connections, waiting.
            blocker.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
            locked = time.monotonic()
            threads = [
                threading.Thread(
                    target=lambda: results.append(fetch(server.url + "/", cookie, timeout=30))
                )
                for _ in range(6)
            ]
            for thread in threads:
                thread.start()
            time.sleep(lock_held)
            blocker.rollback()
        for thread in threads:
            thread.join(timeout=30)

        statuses = sorted(str(status) for status, _, _ in results)
        self.assertEqual(len(results), 6)
        self.assertLessEqual(set(statuses), {"200", "503"}, statuses)
        busy = [r for r in results if r[0] == 503]
        self.assertTrue(busy, "no request was turned away")
        self.assertTrue(
            all(ended - locked < lock_held for _, _, ended in busy),
            "a request beyond the pool waited for a connection longer than the pool timeout: "
            f"{[(s, round(e - locked, 2)) for s, _, e in results]}",
        )
        self.assertIn("200", statuses, "the requests holding connections did not finish")
        log = server.output()
        self.assertNotIn('"status": 500', log)
        self.assertTrue(json.loads(log.splitlines()[0]))
