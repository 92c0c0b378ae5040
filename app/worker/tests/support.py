"""Running enqueued tasks inside a test, through the worker's own code.

A ``TestCase`` never commits, so ``transaction.on_commit`` callbacks (how
requests enqueue) run only when captured, and a worker process could not
see the test's rows. ``tasks_run_after(testcase)`` captures the callbacks of
its block, runs them, then runs every ready task here, on the test's
connection, with the worker's claim and run (``worker.runner``).
"""

from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone

from worker import claims
from worker.models import Heartbeat
from worker.runner import Worker


def run_enqueued_tasks():
    """Run every ready task in this thread; returns how many ran."""
    worker = Worker(concurrency=1, worker_id="test-in-process")
    ran = 0
    while (row := claims.claim_next(worker.worker_id, ["*"], worker.backend_name)) is not None:
        worker.run_task(row)
        ran += 1
    return ran


@contextmanager
def tasks_run_after(testcase):
    with testcase.captureOnCommitCallbacks(execute=True):
        yield
    run_enqueued_tasks()


def make_heartbeat(worker_id, seconds_ago=0):
    """A worker's heartbeat row, last seen ``seconds_ago``."""
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    return Heartbeat.objects.create(
        worker_id=worker_id, hostname="h", pid=1, concurrency=1, started_at=seen, seen_at=seen
    )
