"""``manage.py maintain`` clears what has expired and nothing else."""

import json
import signal
import subprocess
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models.functions import Now
from django.tasks import TaskResultStatus
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import ThrottleCounter
from audit.events import Event
from audit.models import SecurityEvent
from config.tests.tasks import add
from maintenance.steps import STEPS
from worker.models import Heartbeat
from worker.tests.support import make_heartbeat


def steps_logged(stream, until):
    """The steps of the JSON lines read from ``stream`` until the line of
    step ``until`` (other lines, such as a warning at start-up, are skipped)."""
    steps = []
    for line in stream:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        step = entry.get("step") if isinstance(entry, dict) else None
        if step is not None:
            steps.append(step)
        if step == until:
            return steps
    raise AssertionError(f"the output ended before step {until!r}; steps seen: {steps}")


def finished_task(days_ago):
    result = add.enqueue(1, 1)
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - timedelta(days=days_ago)
    )
    return result.id


class MaintainTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        now = timezone.now()
        Session.objects.create(
            session_key="expired", session_data="", expire_date=now - timedelta(hours=1)
        )
        Session.objects.create(
            session_key="alive", session_data="", expire_date=now + timedelta(hours=1)
        )
        ThrottleCounter.objects.create(
            key="login:ended", hits=3, window_ends=Now() - timedelta(seconds=1)
        )
        ThrottleCounter.objects.create(
            key="login:open", hits=3, window_ends=Now() + timedelta(minutes=5)
        )
        make_heartbeat("dead", seconds_ago=25 * 3600)
        make_heartbeat("quiet", seconds_ago=23 * 3600)
        for event, days_ago in ((Event.LOGIN, 366), (Event.LOGOUT, 364)):
            SecurityEvent.objects.create(event=event, created_at=now - timedelta(days=days_ago))

    def maintain(self):
        with self.assertLogs("maintenance", level="INFO") as logs:
            call_command("maintain")
        return {record.step: record.removed for record in logs.records}

    @override_settings(TASK_RESULTS_RETENTION_DAYS=14, AUDIT_RETENTION_DAYS=365)
    def test_it_clears_what_has_expired_and_keeps_the_rest(self):
        old, recent = finished_task(days_ago=15), finished_task(days_ago=1)
        waiting = add.enqueue(2, 2).id
        removed = self.maintain()
        self.assertEqual(
            removed,
            {
                "sessions": 1,
                "throttles": 1,
                "task_results": 1,
                "worker_heartbeats": 1,
                "security_events": 1,
            },
        )
        self.assertEqual(list(SecurityEvent.objects.values_list("event", flat=True)), ["logout"])
        self.assertEqual(list(Heartbeat.objects.values_list("pk", flat=True)), ["quiet"])
        self.assertEqual(list(Session.objects.values_list("session_key", flat=True)), ["alive"])
        self.assertEqual(
            list(ThrottleCounter.objects.values_list("key", flat=True)), ["login:open"]
        )
        kept = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
        self.assertEqual(kept, {recent, waiting})
        self.assertFalse(DBTaskResult.objects.filter(id=old).exists())

    def test_a_second_run_finds_nothing_left(self):
        self.maintain()
        self.assertEqual(
            self.maintain(),
            {
                "sessions": 0,
                "throttles": 0,
                "task_results": 0,
                "worker_heartbeats": 0,
                "security_events": 0,
            },
        )

    @override_settings(TASK_RESULTS_RETENTION_DAYS=30)
    def test_the_retention_comes_from_the_setting(self):
        kept = finished_task(days_ago=20)
        self.maintain()
        self.assertTrue(DBTaskResult.objects.filter(id=kept).exists())

    @override_settings(AUDIT_RETENTION_DAYS=400)
    def test_the_audit_retention_comes_from_the_setting(self):
        self.maintain()
        self.assertEqual(SecurityEvent.objects.count(), 2)


class EveryTests(TransactionTestCase):
    def test_it_refuses_a_period_under_a_minute(self):
        with self.assertRaisesMessage(CommandError, "--every must be at least 60 seconds"):
            call_command("maintain", "--every", "59")

    @pytest.mark.server
    def test_with_every_it_runs_at_once_then_waits_and_stops_cleanly_on_sigterm(self):
        from tests.support import ENTRYPOINT, PYTHON, server_environment

        process = subprocess.Popen(
            [ENTRYPOINT, PYTHON, "manage.py", "maintain", "--every", "3600"],
            cwd=settings.BASE_DIR,
            env=server_environment(connection.settings_dict),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            steps = steps_logged(process.stdout, until=STEPS[-1][0])
            # Only now is SIGTERM handled: before, it is ignored (the entry point's trap).
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=30), 0)
        finally:
            process.kill()
            process.wait()
            process.stdout.close()
        self.assertEqual(steps, [step for step, _, _ in STEPS])
