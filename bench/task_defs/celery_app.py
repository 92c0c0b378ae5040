"""The Celery baseline: the same two tasks as ``ours``, on a Celery app with
Redis as broker and result backend, and Django set up in the worker (Celery's
own Django fix-up: ``django.setup()`` at start, connections handed back after
each task), so that ``write_row`` writes through the same pooled connections.

    celery -A bench.task_defs.celery_app worker --pool threads ...

BENCH_CELERY_REDIS_URL names the Redis database (bench/tasks.py picks one of
its own).
"""

import os
import time

from celery import Celery

from bench.task_defs import rows

# Before the app is made: Celery installs its Django fix-up only when it is set.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

REDIS_URL = os.environ.get("BENCH_CELERY_REDIS_URL", "redis://127.0.0.1:6379/15")
# The worker stores each result in Redis, and bench/tasks.py reads them there
# itself. So the producer sends with no result backend: with one, Celery's
# Redis backend subscribes the sender to each task's result channel as it
# sends (a round trip per task, and a subscription held), which a web process
# that never waits for a result does not need.
PRODUCER = os.environ.get("BENCH_CELERY_ROLE") == "producer"

app = Celery("bench_tasks")
app.conf.update(
    broker_url=REDIS_URL,
    result_backend=None if PRODUCER else REDIS_URL,
    broker_connection_retry_on_startup=True,
    # What the tasks' table keeps for ours: the status and the return value.
    task_ignore_result=False,
    result_extended=False,
    worker_hijack_root_logger=False,
    # Celery's advice for many short tasks ("Optimizing": say 64 or 128); at
    # its default of 4, a thread-pool worker on Redis sits idle for up to 2 s
    # each time its few reserved tasks are done.
    worker_prefetch_multiplier=64,
)


@app.task(name="bench.noop")
def noop(enqueued_at):
    return time.time()


@app.task(name="bench.write_row")
def write_row(enqueued_at, seq):
    started_at = time.time()
    rows.write(seq, enqueued_at, started_at)
    return started_at
