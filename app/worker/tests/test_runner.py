"""The worker's threads, retries and failures, run in this process against
the test database (``Worker.run`` in batch mode: until no task is left)."""

from datetime import timedelta

import sentry_sdk
from django.tasks import TaskResultStatus
from django.test import TransactionTestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.tests.tasks import add, fail, fail_first_attempt, meet
from errors.sentry import init_sentry
from errors.tests.test_sentry import MemoryTransport
from worker.models import Heartbeat
from worker.runner import EXIT_STOPPED, Worker
from worker.tests.support import run_enqueued_tasks


def row(result):
    return DBTaskResult.objects.get(id=result.id)


@override_settings(WORKER_RETRY_DELAY=0, WORKER_MAX_ATTEMPTS=3)
class WorkerTests(TransactionTestCase):
    def run_worker(self, **options):
        status = Worker(batch=True, **options).run()
        self.assertEqual(status, EXIT_STOPPED)

    def test_every_ready_task_runs_and_its_result_is_stored(self):
        results = [add.enqueue(n, n) for n in range(5)]
        self.run_worker()
        for n, result in enumerate(results):
            self.assertEqual(row(result).status, TaskResultStatus.SUCCESSFUL)
            self.assertEqual(row(result).return_value, 2 * n)
            self.assertEqual(len(row(result).worker_ids), 1)

    def test_tasks_run_concurrency_at_a_time(self):
        # Each waits at a barrier for the other: only two threads pass it.
        first, second = meet.enqueue(), meet.enqueue()
        self.run_worker(concurrency=2)
        self.assertEqual(row(first).status, TaskResultStatus.SUCCESSFUL, row(first).traceback)
        self.assertEqual(row(second).status, TaskResultStatus.SUCCESSFUL, row(second).traceback)

    def test_a_task_that_raises_is_retried_then_recorded_as_failed_with_its_traceback(self):
        result = fail.enqueue("the relay is down")
        with self.assertLogs("worker", "INFO") as logs:
            self.run_worker()
        failed = row(result)
        self.assertEqual(failed.status, TaskResultStatus.FAILED)
        self.assertEqual(len(failed.worker_ids), 3)
        self.assertEqual(failed.exception_class_path, "builtins.RuntimeError")
        self.assertIn("RuntimeError: the relay is down", failed.traceback)
        retries = [r for r in logs.records if r.getMessage() == "task failed, to run again"]
        self.assertEqual([r.attempt for r in retries], [1, 2])
        self.assertTrue(all(r.task_id == str(result.id) for r in retries))
        (final,) = [r for r in logs.records if r.levelname == "ERROR"]
        self.assertEqual(final.getMessage(), "task failed at its last attempt")
        self.assertEqual((final.task_id, final.attempt), (str(result.id), 3))
        self.assertIsInstance(final.exc_info[1], RuntimeError)

    def test_a_task_that_fails_once_succeeds_at_its_second_attempt(self):
        result = fail_first_attempt.enqueue()
        self.run_worker()
        self.assertEqual(row(result).status, TaskResultStatus.SUCCESSFUL)
        self.assertEqual(row(result).return_value, 2)

    def test_the_final_failure_reaches_sentry_with_the_task_id(self):
        transport = MemoryTransport()
        init_sentry("https://public@sentry.example.invalid/1", "test", "", 0.0, transport=transport)
        self.addCleanup(sentry_sdk.init)
        result = fail.enqueue("for sentry")
        with self.assertLogs("worker", "INFO"):
            self.run_worker()
        sentry_sdk.flush()
        (event,) = transport.events()
        self.assertEqual(event["tags"]["task_id"], str(result.id))
        self.assertEqual(event["tags"]["task"], "config.tests.tasks.fail")
        self.assertEqual(event["exception"]["values"][-1]["value"], "for sentry")

    def test_the_worker_is_registered_while_it_runs_and_removed_after(self):
        seen = []
        worker = Worker(batch=True)
        beat = worker.beat
        worker.beat = lambda: (seen.extend(Heartbeat.objects.values_list("pk", flat=True)), beat())
        add.enqueue(1, 2)
        worker.run()
        self.assertIn(worker.worker_id, seen)
        self.assertFalse(Heartbeat.objects.exists())

    def test_a_task_that_is_not_a_task_fails_at_once(self):
        result = add.enqueue(1, 1)
        DBTaskResult.objects.filter(id=result.id).update(task_path="config.tests.tasks.nothing")
        with self.assertLogs("worker", "ERROR"):
            self.run_worker()
        self.assertEqual(row(result).status, TaskResultStatus.FAILED)
        self.assertEqual(len(row(result).worker_ids), 1)


class RetryDelayTests(TransactionTestCase):
    @override_settings(WORKER_RETRY_DELAY=10, WORKER_MAX_ATTEMPTS=3)
    def test_a_failed_task_waits_for_its_retry_with_the_error_kept(self):
        result = fail.enqueue("later")
        with self.assertLogs("worker", "WARNING"):
            self.assertEqual(run_enqueued_tasks(), 1)
        waiting = row(result)
        self.assertEqual(waiting.status, TaskResultStatus.READY)
        self.assertAlmostEqual((waiting.run_after - timezone.now()).total_seconds(), 10, delta=2)
        self.assertEqual(waiting.exception_class_path, "builtins.RuntimeError")
        # Not ready yet: nothing runs it before its time.
        self.assertEqual(run_enqueued_tasks(), 0)
        DBTaskResult.objects.filter(id=result.id).update(run_after=timezone.now())
        with self.assertLogs("worker", "WARNING"):
            self.assertEqual(run_enqueued_tasks(), 1)
        again = row(result)
        self.assertAlmostEqual((again.run_after - timezone.now()).total_seconds(), 20, delta=2)

    @override_settings(WORKER_RETRY_DELAY=600)
    def test_the_delay_doubles_and_stops_at_an_hour(self):
        from worker.retries import retry_delay

        self.assertEqual(
            [retry_delay(n) for n in (1, 2, 3, 4)],
            [timedelta(minutes=m) for m in (10, 20, 40, 60)],
        )
