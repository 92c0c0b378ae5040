"""Running enqueued tasks inside a test, through the worker's own code.

A ``TestCase`` never commits, so ``transaction.on_commit`` callbacks (how
requests enqueue) run only when captured, and a worker process could not
see the test's rows. ``tasks_run_after(testcase)`` captures the callbacks of
its block, runs them, then runs every ready task here, on the test's
connection, with the worker's claim and run (``worker.runner``).
"""

from contextlib import contextmanager

from worker import claims
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
