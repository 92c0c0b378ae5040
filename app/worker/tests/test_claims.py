"""Taking tasks back from workers that stopped answering, and from this
worker's threads when an outcome could not be recorded."""

from datetime import timedelta

from django.db.models.functions import Now
from django.tasks import TaskResultStatus
from django.test import TestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.tests.tasks import add
from worker import claims
from worker.tests.support import make_heartbeat

ME = "this-worker"


def running_under(*worker_ids):
    result = add.enqueue(1, 1)
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=list(worker_ids), started_at=Now()
    )
    return DBTaskResult.objects.get(id=result.id)


@override_settings(WORKER_STALE_AFTER=30, WORKER_MAX_ATTEMPTS=3, WORKER_RETRY_DELAY=5)
class TakeBackTests(TestCase):
    def take_back(self, running=()):
        with self.assertLogs("worker", "WARNING") as logs:
            claims.take_back_lost(ME, [row.id for row in running])
        return logs

    def test_the_task_of_a_silent_worker_goes_back_to_the_queue_for_its_next_attempt(self):
        make_heartbeat("silent", seconds_ago=31)
        lost = running_under("silent")
        logs = self.take_back()
        lost.refresh_from_db()
        self.assertEqual(lost.status, TaskResultStatus.READY)
        self.assertEqual(lost.exception_class_path, "worker.claims.WorkerLost")
        self.assertAlmostEqual((lost.run_after - timezone.now()).total_seconds(), 5, delta=2)
        (line,) = logs.records
        self.assertEqual((line.task_id, line.attempt), (str(lost.id), 1))

    def test_a_worker_with_no_heartbeat_row_is_silent_too(self):
        lost = running_under("never-registered")
        self.take_back()
        lost.refresh_from_db()
        self.assertEqual(lost.status, TaskResultStatus.READY)

    def test_the_task_of_a_live_worker_is_left_alone(self):
        make_heartbeat("alive", seconds_ago=29)
        busy = running_under("silent", "alive")
        self.assertEqual(claims.take_back_lost(ME, []), 0)
        busy.refresh_from_db()
        self.assertEqual(busy.status, TaskResultStatus.RUNNING)

    def test_at_the_last_attempt_a_lost_task_is_recorded_as_failed(self):
        lost = running_under("a", "b", "silent")
        logs = self.take_back()
        lost.refresh_from_db()
        self.assertEqual(lost.status, TaskResultStatus.FAILED)
        self.assertIn("attempt 3 (worker silent) ended with no outcome recorded", lost.traceback)
        self.assertEqual(logs.records[0].levelname, "ERROR")

    def test_a_task_of_this_worker_that_no_thread_runs_is_taken_back(self):
        make_heartbeat(ME, seconds_ago=0)
        orphan, running = running_under(ME), running_under(ME)
        # A moment ago, its thread may not yet have said it runs it.
        just_claimed = running_under(ME)
        DBTaskResult.objects.filter(id__in=[orphan.id, running.id]).update(
            started_at=Now() - timedelta(seconds=31)
        )
        self.take_back(running=[running])
        for row in (orphan, running, just_claimed):
            row.refresh_from_db()
        self.assertEqual(orphan.status, TaskResultStatus.READY)
        self.assertEqual(running.status, TaskResultStatus.RUNNING)
        self.assertEqual(just_claimed.status, TaskResultStatus.RUNNING)

    def test_ready_and_finished_tasks_are_never_touched(self):
        ready = add.enqueue(1, 2)
        self.assertEqual(claims.take_back_lost(ME, []), 0)
        self.assertEqual(DBTaskResult.objects.get(id=ready.id).status, TaskResultStatus.READY)


class ClaimTests(TestCase):
    def test_a_claim_marks_the_task_running_under_the_worker(self):
        result = add.enqueue(1, 2)
        row = claims.claim_next("w1", ["default"], "default")
        self.assertEqual(row.id.hex, result.id.replace("-", ""))
        self.assertEqual(row.status, TaskResultStatus.RUNNING)
        self.assertEqual(row.worker_ids, ["w1"])
        self.assertIsNone(claims.claim_next("w2", ["default"], "default"))

    def test_only_the_queues_named_are_taken(self):
        result = add.enqueue(1, 2)
        DBTaskResult.objects.filter(id=result.id).update(queue_name="other")
        self.assertIsNone(claims.claim_next("w1", ["default"], "default"))
        self.assertIsNotNone(claims.claim_next("w1", ["*"], "default"))
