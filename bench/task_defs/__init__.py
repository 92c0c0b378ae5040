"""The tasks bench/tasks.py runs: the same two tasks for the service's worker
(``ours``) and for the Celery baseline (``celery_app``).

Each task's first statement reads the wall clock and the task returns it, so
that the latency from enqueue to start is measured the same way on both sides:
the producer passes ``time.time()`` as the first argument, and the system's
own result store (a row of the tasks' table; Celery's Redis result backend)
keeps the start time with the task's status, at no extra cost to the task.
"""
