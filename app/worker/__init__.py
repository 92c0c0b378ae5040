"""The worker: the process that runs what Django's tasks API enqueued.

Tasks are rows of django-tasks-db's table in PostgreSQL; this package runs
them, as ``manage.py worker``:

- ``runner.py``: the process: ``WORKER_CONCURRENCY`` threads, a heartbeat,
  the graceful stop on SIGTERM;
- ``claims.py``: taking a ready task exactly once, putting it back for a
  retry, taking back the tasks of a worker that died;
- ``retries.py``: how long a failed task waits before its next run;
- ``wakeup.py``: a LISTEN that wakes the threads when a task is enqueued
  (``migrations/0001`` adds the trigger that NOTIFYs);
- ``heartbeat.py``: the liveness file, which ``python -m worker.probe`` reads;
- ``models.py``: one row per running worker, the heartbeat others check.
"""
