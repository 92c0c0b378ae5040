"""The benchmark's tasks on Django's tasks framework, for the service's worker
(stored in PostgreSQL by the TASKS backend, django_tasks_db)."""

import time

from django.tasks import task

from bench.task_defs import rows


@task
def noop(enqueued_at):
    return time.time()


@task
def write_row(enqueued_at, seq):
    started_at = time.time()
    rows.write(seq, enqueued_at, started_at)
    return started_at
