"""With PostgreSQL out of reach, the real server stays alive, says it is not
ready within the pool's timeout, and answers a request that needs the
database with a 503 page that says to try again. With no host it can serve,
it is not ready either."""

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import SimpleTestCase, override_settings

from tests.support import (
    FormClient,
    LiveServerMixin,
    ScratchDatabase,
    WorkerProcess,
    database_url,
    get,
    manage,
    server_environment,
    start_server,
)

pytestmark = pytest.mark.server


class DatabaseOutOfReachTests(LiveServerMixin, SimpleTestCase):
    @classmethod
    def server_variables(cls):
        settings_dict = {**connection.settings_dict, "NAME": "no_such_database_for_tests"}
        return {"DATABASE_URL": database_url(settings_dict), "DATABASE_POOL_TIMEOUT": "1"}

    def test_liveness_does_not_depend_on_the_database(self):
        status, _, _ = FormClient(self.server.url).request("/healthz")
        self.assertEqual(status, 200)

    def test_readiness_answers_503_naming_the_database(self):
        status, headers, body = FormClient(self.server.url).request("/readyz")
        self.assertEqual(status, 503, body)
        self.assertEqual(headers["Content-Type"], "application/json")
        answer = json.loads(body)
        self.assertEqual(answer["status"], "unavailable")
        self.assertEqual(list(answer["checks"]), ["database"])
        self.assertTrue(answer["checks"]["database"].startswith("failed: "), answer)

    def test_a_request_that_needs_the_database_gets_a_503_page(self):
        client = FormClient(self.server.url)
        status, headers, body = client.submit(
            "/accounts/login/", {"username": "ada", "password": "hunter2-password"}
        )
        self.assertEqual(status, 503)
        self.assertEqual(headers["Retry-After"], "5")
        self.assertIn("We are busy right now", body)
        for leak in ("Traceback", "OperationalError", "no_such_database", "hunter2"):
            self.assertNotIn(leak, body)
        errors = [
            json.loads(line)
            for line in self.server.output().splitlines()
            if '"level": "ERROR"' in line
        ]
        self.assertTrue(
            [e for e in errors if e["request_id"] == headers["X-Request-ID"] and "exception" in e],
            "the 503 was not logged with its request id and traceback",
        )
        self.assertNotIn("hunter2", self.server.output())


class UnappliedMigrationTests(SimpleTestCase):
    """A release whose migrations have not all run gets no traffic: the real
    server's /readyz (the check on the event loop) says how many are missing,
    and turns ready once they are applied, without a restart."""

    def test_readyz_answers_503_until_every_migration_is_applied(self):
        env = server_environment(connection.settings_dict, DATABASE_URL=ScratchDatabase(self).url)
        partly = manage("migrate", "accounts", "0002", "--noinput", env=env)
        self.assertEqual(partly.returncode, 0, partly.stderr)
        server = start_server(self, env)

        status, _, body = get(server.url + "/readyz")
        self.assertEqual(status, 503, body)
        answer = json.loads(body)
        self.assertEqual(answer["checks"]["database"], "ok")
        self.assertRegex(answer["checks"]["migrations"], r"^[1-9][0-9]* unapplied$")

        rest = manage("migrate", "--noinput", env=env)
        self.assertEqual(rest.returncode, 0, rest.stderr)
        status, _, body = get(server.url + "/readyz")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["checks"], {"database": "ok", "migrations": "ok"})

    def test_the_worker_takes_no_task_until_every_migration_is_applied(self):
        env = server_environment(connection.settings_dict, DATABASE_URL=ScratchDatabase(self).url)
        partly = manage("migrate", "accounts", "0002", "--noinput", env=env)
        self.assertEqual(partly.returncode, 0, partly.stderr)
        workdir = Path(tempfile.mkdtemp(prefix="unready-worker-"))
        self.addCleanup(shutil.rmtree, workdir, ignore_errors=True)
        worker = WorkerProcess(env).start(workdir)  # alive: its heartbeat file is there
        self.addCleanup(worker.stop)
        deadline = time.monotonic() + 30
        while "waiting for the migrations" not in worker.output():
            self.assertLess(time.monotonic(), deadline, worker.output())
            time.sleep(0.1)
        self.assertRegex(worker.output(), r"[1-9][0-9]* unapplied")

        rest = manage("migrate", "--noinput", env=env)
        self.assertEqual(rest.returncode, 0, rest.stderr)
        runs = workdir / "runs"
        enqueued = manage(
            "shell",
            "-c",
            "from config.tests.tasks import append_line; "
            f"append_line.enqueue({str(runs)!r}, 'ran')",
            env=env,
        )
        self.assertEqual(enqueued.returncode, 0, enqueued.stderr)
        deadline = time.monotonic() + 30
        while not runs.exists():
            self.assertLess(time.monotonic(), deadline, worker.output())
            time.sleep(0.1)
        self.assertEqual(runs.read_text(), "ran\n")
        self.assertEqual(worker.stop(), 0, worker.output())


NOT_READY = {
    "status": "unavailable",
    "checks": {"hosts": "failed: no host can be served (ALLOWED_HOSTS is empty)"},
}


@override_settings(DEBUG=False, ALLOWED_HOSTS=[])
class NoServableHostTests(SimpleTestCase):
    """Readiness before the database: a service whose every page would answer
    400 gets no traffic (a server process refuses to start that way, so this
    runs in-process)."""

    def test_readiness_answers_503_naming_the_hosts(self):
        response = self.client.get("/readyz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(json.loads(response.content), NOT_READY)

    async def test_readiness_on_the_event_loop_answers_503_naming_the_hosts(self):
        response = await self.async_client.get("/readyz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(json.loads(response.content), NOT_READY)

    def test_liveness_still_answers(self):
        self.assertEqual(self.client.get("/healthz").status_code, 200)
