"""The worker as a real process (``manage.py worker`` through the image's
entry point) against the test database: mail sent for the real server,
tasks run exactly once by two workers, a killed worker's task run again,
a graceful stop, retries, and SMTP down then back."""

import os
import signal
import tempfile
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import TransactionTestCase
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import make_user
from config.tests.tasks import append_line, fail, mark_and_sleep
from tests.support import (
    PLAIN_HTTP_COOKIES,
    FormClient,
    LiveServerMixin,
    WorkerProcess,
    free_port,
    server_environment,
    start_server,
    wait_for_tasks,
)

pytestmark = pytest.mark.server


def wait_until(condition, timeout=30, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


def lines(path):
    return path.read_text().splitlines() if path.exists() else []


class WorkerProcessMixin:
    worker_env = {}

    def setUp(self):
        super().setUp()
        folder = tempfile.TemporaryDirectory(prefix="worker-test-")
        self.addCleanup(folder.cleanup)
        self.workdir = Path(folder.name)
        self.runs = self.workdir / "runs"

    def start_worker(self, name="worker", **values):
        env = server_environment(connection.settings_dict, **{**self.worker_env, **values})
        folder = self.workdir / name
        folder.mkdir()
        worker = WorkerProcess(env).start(folder)
        self.addCleanup(worker.stop)
        return worker

    def row(self, result):
        return DBTaskResult.objects.get(id=result.id)


class ExactlyOnceTests(WorkerProcessMixin, TransactionTestCase):
    def test_two_workers_run_each_of_500_tasks_exactly_once(self):
        workers = [self.start_worker(f"w{n}") for n in (1, 2)]
        results = [append_line.enqueue(str(self.runs), n) for n in range(500)]
        wait_for_tasks(timeout=120)
        self.assertEqual(sorted(int(line) for line in lines(self.runs)), list(range(500)))
        rows = DBTaskResult.objects.filter(id__in=[r.id for r in results])
        self.assertEqual({row.status for row in rows}, {TaskResultStatus.SUCCESSFUL})
        self.assertEqual({len(row.worker_ids) for row in rows}, {1})
        self.assertEqual(len({row.worker_ids[0] for row in rows}), 2, "both workers took tasks")
        self.assertEqual([worker.stop() for worker in workers], [0, 0])


class StopTests(WorkerProcessMixin, TransactionTestCase):
    worker_env = {"WORKER_STALE_AFTER": "3", "WORKER_RETRY_DELAY": "0"}

    def start_a_long_task(self, seconds, **values):
        result = mark_and_sleep.enqueue(str(self.runs), seconds)
        worker = self.start_worker(**values)
        wait_until(lambda: lines(self.runs) == ["started"], what="the task's start")
        return result, worker

    def test_on_sigterm_the_running_task_finishes_and_the_worker_exits_0(self):
        result, worker = self.start_a_long_task(2)
        self.assertEqual(worker.stop(), 0, worker.output())  # one SIGTERM, then its exit
        self.assertEqual(lines(self.runs), ["started", "finished"])
        self.assertEqual(self.row(result).status, TaskResultStatus.SUCCESSFUL)
        self.assertIn('"message": "worker stopped"', worker.output())

    def test_past_the_shutdown_timeout_the_task_goes_back_and_the_worker_exits_1(self):
        result, worker = self.start_a_long_task(60, WORKER_SHUTDOWN_TIMEOUT="1")
        started = time.monotonic()
        self.assertEqual(worker.stop(), 1, worker.output())  # one SIGTERM, then its exit
        self.assertLess(time.monotonic() - started, 30)
        self.assertEqual(self.row(result).status, TaskResultStatus.READY)
        self.assertIn("went back to the queue", worker.output())

    def test_a_task_of_a_killed_worker_is_run_again_by_another(self):
        result, killed = self.start_a_long_task(1)
        os.kill(killed.process.pid, signal.SIGKILL)
        killed.process.wait()
        self.start_worker("second")
        wait_for_tasks(timeout=60)
        self.assertEqual(lines(self.runs), ["started", "started", "finished"])
        row = self.row(result)
        self.assertEqual(row.status, TaskResultStatus.SUCCESSFUL)
        self.assertEqual(len(row.worker_ids), 2)


class FailureTests(WorkerProcessMixin, TransactionTestCase):
    worker_env = {"WORKER_MAX_ATTEMPTS": "2", "WORKER_RETRY_DELAY": "0"}

    def test_a_task_that_raises_is_retried_then_logged_as_failed_with_its_id(self):
        result = fail.enqueue("no luck")
        worker = self.start_worker()
        wait_for_tasks()
        row = self.row(result)
        self.assertEqual(row.status, TaskResultStatus.FAILED)
        self.assertEqual(len(row.worker_ids), 2)
        output = worker.output()
        self.assertIn('"message": "task failed, to run again"', output)
        (final,) = [line for line in output.splitlines() if '"level": "ERROR"' in line]
        self.assertIn(f'"task_id": "{result.id}"', final)
        self.assertIn("RuntimeError: no luck", final)


class ResetMailTests(LiveServerMixin, WorkerProcessMixin, TransactionTestCase):
    """The server only enqueues; the mail leaves when a worker runs."""

    collect_mail = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.worker.stop()  # each test starts the worker it needs

    def setUp(self):
        super().setUp()
        make_user(email="ada@example.com")

    def request_reset(self, server):
        status, headers, _ = FormClient(server.url).submit(
            "/accounts/password_reset/", {"email": "ada@example.com"}
        )
        self.assertEqual((status, headers["Location"]), (302, "/accounts/password_reset/done/"))

    def test_the_answer_comes_before_the_mail_which_the_worker_sends(self):
        self.request_reset(self.server)  # no worker runs yet
        self.assertEqual(list(self.mail_dir.iterdir()), [])
        self.start_worker(EMAIL_URL=f"filemail://{self.mail_dir}")
        (mail,) = self.delivered_mail()
        self.assertIn("To: ada@example.com", mail)
        self.assertIn("/accounts/reset/", mail)

    def test_with_smtp_down_the_reset_answers_and_the_mail_leaves_once_it_is_back(self):
        port = free_port()
        smtp = {"EMAIL_URL": f"smtp://127.0.0.1:{port}", "WORKER_RETRY_DELAY": "1"}
        server = start_server(
            self, server_environment(connection.settings_dict, **PLAIN_HTTP_COOKIES, **smtp)
        )
        self.request_reset(server)
        worker = self.start_worker(**smtp)
        wait_until(lambda: "task failed, to run again" in worker.output(), what="a failed attempt")
        self.assertIn("ConnectionRefusedError", worker.output())
        received = []

        class Inbox:
            async def handle_DATA(self, server, session, envelope):
                received.append(envelope)
                return "250 OK"

        relay = Controller(Inbox(), hostname="127.0.0.1", port=port)
        relay.start()
        self.addCleanup(relay.stop)
        wait_for_tasks()
        (envelope,) = received
        self.assertEqual(envelope.rcpt_tos, ["ada@example.com"])
        self.assertIn(b"/accounts/reset/", envelope.content)
