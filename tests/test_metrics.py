"""The metrics of the real server and the real worker, scraped from their
own port after a known burst (prometheus-client's parser reads them)."""

import shutil
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import TransactionTestCase

from config.tests.tasks import append_line, fail, mark_and_sleep
from tests.support import (
    Server,
    WorkerProcess,
    free_port,
    get,
    scrape_metrics,
    server_environment,
    wait_for_tasks,
)

pytestmark = pytest.mark.server


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0)


class ServerMetricsTests(TransactionTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workdir = Path(tempfile.mkdtemp(prefix="metrics-test-"))
        cls.metrics_port = free_port()
        env = server_environment(
            connection.settings_dict, METRICS_PORT=str(cls.metrics_port), WEB_CONCURRENCY="2"
        )
        cls.server = Server(env).start(cls.workdir / "uvicorn.log")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.workdir, ignore_errors=True)
        super().tearDownClass()

    def test_a_burst_is_counted_by_route_method_and_status_across_the_workers(self):
        before = scrape_metrics(self.metrics_port)
        for _ in range(40):
            self.assertEqual(get(self.server.url + "/")[0], 200)
        for _ in range(7):
            self.assertEqual(get(self.server.url + "/no-such-page/")[0], 404)
        for _ in range(3):
            self.assertEqual(get(self.server.url + "/readyz")[0], 200)
        after = scrape_metrics(self.metrics_port)

        def counted(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertEqual(
            counted("http_requests_total", route="home", method="GET", status="200"), 40
        )
        self.assertEqual(
            counted("http_requests_total", route="unmatched", method="GET", status="404"), 7
        )
        self.assertEqual(
            counted("http_requests_total", route="readyz", method="GET", status="200"), 3
        )
        self.assertEqual(
            counted("http_request_duration_seconds_count", route="home", method="GET"), 40
        )
        self.assertGreater(
            counted("http_request_duration_seconds_sum", route="home", method="GET"), 0
        )
        self.assertEqual(value(after, "http_requests_in_flight"), 0)

    def test_the_pools_connections_are_recorded_within_seconds(self):
        # Readiness reads the migrations through Django's pool, once per
        # process, and gives its connection back.
        for _ in range(4):
            self.assertEqual(get(self.server.url + "/readyz")[0], 200)
        deadline = time.monotonic() + 10
        while True:
            samples = scrape_metrics(self.metrics_port)
            idle = value(samples, "db_pool_connections", state="idle")
            in_use = value(samples, "db_pool_connections", state="in_use")
            if (idle >= 1 and in_use == 0) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertGreaterEqual(idle, 1)
        self.assertEqual(in_use, 0)
        self.assertIn(("db_pool_requests_waiting", frozenset()), samples)

    def test_the_application_port_does_not_serve_the_metrics(self):
        status, _, _ = get(self.server.url + "/metrics")
        self.assertEqual(status, 404)


class WorkerMetricsTests(TransactionTestCase):
    def setUp(self):
        folder = tempfile.TemporaryDirectory(prefix="worker-metrics-")
        self.addCleanup(folder.cleanup)
        self.workdir = Path(folder.name)
        self.metrics_port = free_port()
        env = server_environment(
            connection.settings_dict,
            METRICS_PORT=str(self.metrics_port),
            WORKER_CONCURRENCY="1",
            WORKER_MAX_ATTEMPTS="1",
        )
        self.worker = WorkerProcess(env).start(self.workdir)
        self.addCleanup(self.worker.stop)

    def test_outcomes_are_counted_and_the_queue_is_measured(self):
        runs = self.workdir / "runs"
        for n in range(5):
            append_line.enqueue(str(runs), n)
        fail.enqueue("on purpose")
        wait_for_tasks()
        samples = scrape_metrics(self.metrics_port)
        succeeded = value(
            samples,
            "worker_tasks_total",
            task="config.tests.tasks.append_line",
            outcome="succeeded",
        )
        failed = value(
            samples, "worker_tasks_total", task="config.tests.tasks.fail", outcome="failed"
        )
        self.assertEqual((succeeded, failed), (5, 1))
        self.assertEqual(value(samples, "task_queue_depth", queue="default"), 0)

        mark_and_sleep.enqueue(str(runs), 3)  # holds the only task thread
        deadline = time.monotonic() + 30
        while "started" not in (runs.read_text() if runs.exists() else ""):
            self.assertLess(time.monotonic(), deadline, self.worker.output())
            time.sleep(0.05)
        for n in range(3):
            append_line.enqueue(str(runs), n)
        time.sleep(1)
        samples = scrape_metrics(self.metrics_port)
        self.assertEqual(value(samples, "task_queue_depth", queue="default"), 3)
        self.assertGreaterEqual(
            value(samples, "task_queue_oldest_age_seconds", queue="default"), 0.9
        )
