"""Taking tasks, exactly once across any number of workers.

A ready task is claimed in one statement with ``SELECT … FOR UPDATE SKIP
LOCKED``: two workers never take the same row, and neither waits for the
other. The claim marks it RUNNING and appends the worker's id to
``worker_ids``, whose length is the number of attempts.

A RUNNING task whose last worker has not been heard from for
``WORKER_STALE_AFTER`` seconds (a worker killed, a node lost) is taken back:
it goes back to the queue for its next attempt, or, with no attempt left,
is recorded as failed with ``WorkerLost``.
"""

import logging
from traceback import format_exception

from django.conf import settings
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from worker.models import Heartbeat
from worker.retries import attempts_left, retry_delay

logger = logging.getLogger("worker")


class WorkerLost(Exception):
    """The run of a task ended with no outcome: its worker died or stopped
    answering, or could not record it."""


def claim_next(worker_id, queue_names, backend_name):
    """The next ready task, now RUNNING under ``worker_id``, or None.

    One statement: the ready row first in django-tasks-db's order (its
    partial index), locked with SKIP LOCKED, updated and returned. The
    library's ``ready().get_locked()`` then ``claim()`` does the same in a
    transaction of four round trips, which was most of a no-op task's cost.
    """
    table = DBTaskResult._meta.db_table
    in_queues = "" if "*" in queue_names else "AND queue_name = ANY(%(queues)s)"
    rows = DBTaskResult.objects.raw(
        f"""
        UPDATE {table}
        SET status = %(running)s,
            started_at = statement_timestamp(),
            worker_ids = worker_ids || jsonb_build_array(%(worker_id)s::text)
        WHERE id = (
            SELECT id FROM {table}
            WHERE status = %(ready)s AND backend_name = %(backend)s {in_queues}
            AND (run_after = %(never)s OR run_after <= statement_timestamp())
            ORDER BY priority DESC, run_after ASC, enqueued_at ASC
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
        RETURNING *
        """,  # noqa: S608 (the table's name, from the model)
        {
            "running": TaskResultStatus.RUNNING,
            "ready": TaskResultStatus.READY,
            "worker_id": worker_id,
            "backend": backend_name,
            "queues": list(queue_names),
            "never": get_date_max(),
        },
    )
    return next(iter(rows), None)


def unfinished(queue_names, backend_name):
    """Tasks not yet done: ready, waiting for a retry, or running."""
    tasks = DBTaskResult.objects.filter(
        backend_name=backend_name, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    if "*" not in queue_names:
        tasks = tasks.filter(queue_name__in=queue_names)
    return tasks


def put_back(row, error=None, delay=None):
    """Back to the queue: at once, or after ``delay``; the error of the
    attempt that failed is kept on the row until the next one."""
    row.status = TaskResultStatus.READY
    row.run_after = timezone.now() + delay if delay else timezone.now()
    row.exception_class_path = error_path(error) if error else ""
    row.traceback = "".join(format_exception(error)) if error else ""
    row.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])


def error_path(error):
    return f"{type(error).__module__}.{type(error).__qualname__}"


def take_back_lost(worker_id, running_ids):
    """Take back the RUNNING tasks of workers silent for too long, and those
    of this worker (``worker_id``) that none of its threads runs (``running_ids``
    are the ones they do) though they started ``WORKER_STALE_AFTER`` ago (a
    task claimed a moment ago may not be among them yet); returns how many.
    Safe in any number of workers at once (SKIP LOCKED)."""
    task_table = DBTaskResult._meta.db_table
    heartbeat_table = Heartbeat._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT t.id FROM {task_table} t
                WHERE t.status = %s AND (
                    (t.worker_ids ->> -1 = %s AND NOT t.id = ANY(%s::uuid[])
                     AND t.started_at < statement_timestamp() - make_interval(secs => %s))
                    OR NOT EXISTS (
                        SELECT 1 FROM {heartbeat_table} h
                        WHERE h.worker_id = t.worker_ids ->> -1
                        AND h.seen_at > statement_timestamp() - make_interval(secs => %s)
                    )
                )
                FOR UPDATE OF t SKIP LOCKED
                """,  # noqa: S608 (the tables' names, from the models)
                [
                    TaskResultStatus.RUNNING,
                    worker_id,
                    list(running_ids),
                    settings.WORKER_STALE_AFTER,
                    settings.WORKER_STALE_AFTER,
                ],
            )
            lost = [task_id for (task_id,) in cursor.fetchall()]
        for row in DBTaskResult.objects.filter(id__in=lost):
            attempts = len(row.worker_ids)
            error = WorkerLost(
                f"attempt {attempts} (worker {row.worker_ids[-1]}) ended with no outcome recorded"
            )
            fields = {"task_id": str(row.id), "task": row.task_path, "attempt": attempts}
            if attempts_left(attempts):
                delay = retry_delay(attempts)
                put_back(row, error, delay)
                logger.warning(
                    "task taken back from a lost worker, to run again",
                    extra={**fields, "retry_in": delay.total_seconds()},
                )
            else:
                row.set_failed(error)
                logger.error("task failed: its worker was lost at the last attempt", extra=fields)
    return len(lost)
