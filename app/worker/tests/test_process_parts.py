"""What the worker's process stands on: the liveness file and its probe,
the trigger that wakes it, and the pool it needs."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import SimpleTestCase, TransactionTestCase, override_settings

from config.tests.tasks import add
from worker import heartbeat
from worker.wakeup import CHANNEL

APP_DIR = Path(__file__).resolve().parents[2]


class LivenessFileTests(SimpleTestCase):
    def setUp(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.path = Path(folder.name) / "heartbeat"

    def probe(self, **env):
        return subprocess.run(
            [sys.executable, "-m", "worker.probe"],
            cwd=APP_DIR,
            env={"PATH": os.environ["PATH"], **env},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def test_a_fresh_heartbeat_passes_the_probe(self):
        heartbeat.write(self.path, alive_for=30)
        self.assertIsNone(heartbeat.problem(self.path))
        probed = self.probe(WORKER_HEARTBEAT_FILE=str(self.path))
        self.assertEqual(probed.returncode, 0, probed.stderr)

    def test_an_overdue_heartbeat_fails_it_with_how_late(self):
        heartbeat.write(self.path, alive_for=-5)
        self.assertRegex(heartbeat.problem(self.path), r"last heartbeat is [56] s overdue")
        probed = self.probe(WORKER_HEARTBEAT_FILE=str(self.path))
        self.assertEqual(probed.returncode, 1)
        self.assertIn("overdue", probed.stderr)

    def test_a_missing_or_garbled_file_fails_it(self):
        self.assertIn("has not started", heartbeat.problem(self.path))
        self.path.write_text("soon")
        self.assertIn("does not hold a time", heartbeat.problem(self.path))

    def test_the_probe_says_when_the_variable_is_missing(self):
        probed = self.probe()
        self.assertEqual(probed.returncode, 1)
        self.assertIn("WORKER_HEARTBEAT_FILE is not set", probed.stderr)


class WakeupTriggerTests(TransactionTestCase):
    def test_an_enqueued_task_notifies_the_channel_when_its_transaction_commits(self):
        params = connection.get_connection_params()
        with psycopg.connect(
            dbname=params["dbname"],
            user=params.get("user"),
            password=params.get("password"),
            host=params.get("host"),
            port=params.get("port"),
            autocommit=True,
        ) as listener:
            listener.execute(f"LISTEN {CHANNEL}")
            add.enqueue(1, 2)
            started = time.monotonic()
            notes = list(listener.notifies(timeout=10, stop_after=1))
        self.assertEqual([note.payload for note in notes], ["default"], time.monotonic() - started)


class PoolTests(SimpleTestCase):
    @override_settings(WORKER_CONCURRENCY=3)
    def test_the_worker_refuses_a_pool_too_small_for_its_threads(self):
        with self.assertRaisesMessage(
            CommandError,
            "DATABASE_POOL_MAX_SIZE (4) is below WORKER_CONCURRENCY (3) + 2: raise it to 5",
        ):
            call_command("worker", "--batch")
