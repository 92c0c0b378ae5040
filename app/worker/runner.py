"""The worker process (``manage.py worker``).

``concurrency`` threads each take a ready task (``claims.claim_next``), run
it, and record the outcome; each thread has its own pooled connection, like
a request. A failed run goes back to the queue after ``retries.retry_delay``
until ``WORKER_MAX_ATTEMPTS`` runs have failed; then the task is recorded as
failed, and its traceback is logged at ERROR with the task's id (and so
reaches Sentry, whose logging integration reports ERROR lines).

It takes no task before every migration is applied. The main thread keeps
the heartbeat: every third of ``WORKER_STALE_AFTER``
it writes the liveness file, marks this worker's row as seen, and takes back
the tasks of workers that stopped answering.

SIGTERM (or SIGINT) stops taking tasks. The running ones get
``WORKER_SHUTDOWN_TIMEOUT`` seconds to finish, heartbeat still going; then
the process exits 0. Past the timeout (or on a second signal), the tasks
still running go back to the queue and the process exits 1.
"""

import logging
import os
import signal
import socket
import threading
import time

import sentry_sdk
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, close_old_connections, connection
from django.db.models.functions import Now
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskContext
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string

from health.checks import check_migrations
from metrics.definitions import TASKS
from worker import claims, heartbeat
from worker.models import Heartbeat
from worker.retries import attempts_left, retry_delay
from worker.stopping import SignalSafeEvent
from worker.wakeup import Wakeup

logger = logging.getLogger("worker")

EXIT_STOPPED = 0
EXIT_TASKS_GIVEN_BACK = 1
# How often the main thread looks at the signals and the threads.
TICK_SECONDS = 0.1
# How often a worker waiting for a release's migrations looks again.
MIGRATIONS_POLL_SECONDS = 2


def new_worker_id():
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


class Worker:
    def __init__(
        self,
        *,
        queue_names=("default",),
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        concurrency=None,
        batch=False,
        worker_id=None,
    ):
        self.queue_names = list(queue_names)
        self.backend_name = backend_name
        self.concurrency = concurrency or settings.WORKER_CONCURRENCY
        self.batch = batch
        self.worker_id = worker_id or new_worker_id()
        self.stopping = SignalSafeEvent()  # set by the signal handler
        self.wakeup = Wakeup()
        self.running = {}  # thread name -> the task row it runs
        # Held while a thread records that it runs a task (or no longer),
        # and while the heartbeat and the give-back read which ones run.
        self.claiming = threading.Lock()
        self.signals = 0
        self.stopped_by = None

    # --- the process --------------------------------------------------------

    def run(self):
        """Run until stopped (or, in batch mode, until no task is left);
        returns the exit status."""
        if not self.wait_for_migrations():
            return EXIT_STOPPED
        self.register()
        threads = [
            threading.Thread(target=self.work, name=f"task-{n}", daemon=True)
            for n in range(self.concurrency)
        ]
        listener = threading.Thread(
            target=self.wakeup.listen, args=(self.stopping,), name="listen", daemon=True
        )
        listener.start()
        for thread in threads:
            thread.start()
        logger.info(
            "worker started",
            extra={
                "worker_id": self.worker_id,
                "concurrency": self.concurrency,
                "queues": ",".join(self.queue_names),
            },
        )
        interval = settings.WORKER_STALE_AFTER / 3
        next_beat = 0
        while not self.stopping.is_set() and any(t.is_alive() for t in threads):
            if time.monotonic() >= next_beat:
                self.beat()
                next_beat = time.monotonic() + interval
            self.stopping.wait(TICK_SECONDS)
        self.wakeup.wake()  # the idle threads see the stop at once
        status = self.finish(threads, interval)
        self.stopping.set()  # in batch mode, for the listener
        listener.join(timeout=2)
        self.unregister()
        return status

    def count_signal(self, signum, frame):
        """Before a signal sets ``stopping``: the first one stops taking
        tasks, a second one gives the running ones back at once. A signal
        handler, so it takes no lock (``worker.stopping``); the main loop
        wakes the idle threads."""
        self.signals += 1
        self.stopped_by = signal.Signals(signum).name

    def install_signal_handlers(self):
        self.stopping.set_by((signal.SIGTERM, signal.SIGINT), handler=self.count_signal)

    def finish(self, threads, interval):
        """Wait for the running tasks, up to the shutdown timeout."""
        started = time.monotonic()
        if self.stopping.is_set():  # logged here: a signal handler must not log
            logger.warning(
                "stopping: no new tasks; waiting for the running ones",
                extra={"signal": self.stopped_by, "running": len(self.running)},
            )
        deadline = started + settings.WORKER_SHUTDOWN_TIMEOUT
        next_beat = started
        while alive := [t for t in threads if t.is_alive()]:
            now = time.monotonic()
            if now >= deadline or self.signals > 1:
                return self.give_back_running()
            if now >= next_beat:
                self.beat()
                next_beat = now + interval
            alive[0].join(timeout=min(TICK_SECONDS, deadline - now))
        if self.stopping.is_set():
            logger.info(
                "worker stopped",
                extra={
                    "worker_id": self.worker_id,
                    "seconds": round(time.monotonic() - started, 3),
                },
            )
        return EXIT_STOPPED

    def give_back_running(self):
        with self.claiming:
            running = list(self.running.values())
        for row in running:
            try:
                claims.put_back(row)
                TASKS.labels(row.task_path, "given_back").inc()
            except DatabaseError:
                logger.exception("could not give a task back", extra={"task_id": str(row.id)})
        logger.error(
            "tasks still running at the shutdown timeout went back to the queue",
            extra={"task_ids": [str(row.id) for row in running], "worker_id": self.worker_id},
        )
        return EXIT_TASKS_GIVEN_BACK

    def wait_for_migrations(self):
        """Take no task before every migration is applied: a new release's
        tasks may need its schema (as web's /readyz waits for it). Alive
        meanwhile; False when stopped before."""
        waiting = None
        while not self.stopping.is_set():
            self.write_liveness()
            try:
                state = check_migrations()
            except DatabaseError as error:
                state = f"database unavailable ({error.__class__.__name__})"
            finally:
                connection.close()
            if state == "ok":
                return True
            if state != waiting:
                logger.warning("waiting for the migrations: %s", state, extra={"state": state})
                waiting = state
            self.stopping.wait(MIGRATIONS_POLL_SECONDS)
        return False

    # --- the heartbeat ----------------------------------------------------------

    def register(self):
        now = timezone.now()
        Heartbeat.objects.create(
            worker_id=self.worker_id,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            concurrency=self.concurrency,
            started_at=now,
            seen_at=Now(),
        )
        self.write_liveness()
        connection.close()

    def unregister(self):
        try:
            Heartbeat.objects.filter(worker_id=self.worker_id).delete()
        except DatabaseError:
            logger.warning("could not remove the worker's heartbeat row", exc_info=True)
        finally:
            connection.close()

    def beat(self):
        """Alive as long as this loop turns, whatever the database does: a
        database outage must not get the worker restarted."""
        self.write_liveness()
        try:
            Heartbeat.objects.filter(worker_id=self.worker_id).update(seen_at=Now())
            with self.claiming:
                running = [row.id for row in self.running.values()]
                claims.take_back_lost(self.worker_id, running)
        except DatabaseError as error:
            logger.warning("heartbeat not recorded", extra={"error": str(error)})
        finally:
            connection.close()

    def write_liveness(self):
        if settings.WORKER_HEARTBEAT_FILE:
            heartbeat.write(settings.WORKER_HEARTBEAT_FILE, alive_for=settings.WORKER_STALE_AFTER)

    # --- the task threads ---------------------------------------------------------

    def work(self):
        while not self.stopping.is_set():
            name = threading.current_thread().name
            try:
                row = claims.claim_next(self.worker_id, self.queue_names, self.backend_name)
                if row is None and self.batch and not self.more_to_come():
                    break
            except DatabaseError as error:
                logger.warning("could not take a task", extra={"error": str(error)})
                row = None
            if row is None:
                close_old_connections()  # back to the pool while this thread waits
                self.wakeup.wait()
                continue
            with self.claiming:
                self.running[name] = row
            try:
                self.run_task(row)
            except DatabaseError:
                # The outcome is not recorded: the next heartbeat takes the
                # task back, as no thread runs it any more.
                logger.exception(
                    "a task's outcome could not be recorded", extra={"task_id": str(row.id)}
                )
            finally:
                with self.claiming:
                    del self.running[name]
                close_old_connections()
        connection.close()

    def more_to_come(self):
        return claims.unfinished(self.queue_names, self.backend_name).exists()

    def run_task(self, row):
        fields = {"task_id": str(row.id), "task": row.task_path, "attempt": len(row.worker_ids)}
        try:
            task = row.task
        except (ImportError, SuspiciousOperation) as error:
            # Not a task (any more): running it again would not help.
            row.set_failed(error)
            TASKS.labels(row.task_path, "failed").inc()
            logger.error("task failed: it cannot be loaded", extra=fields, exc_info=error)
            return
        result = row.task_result
        sender = type(task.get_backend())
        started = time.monotonic()
        with sentry_sdk.isolation_scope() as scope:
            scope.set_tag("task_id", fields["task_id"])
            scope.set_tag("task", row.task_path)
            task_started.send(sender=sender, task_result=result)
            try:
                if task.takes_context:
                    value = task.call(
                        TaskContext(task_result=result), *result.args, **result.kwargs
                    )
                else:
                    value = task.call(*result.args, **result.kwargs)
                row.set_successful(value)
            except BaseException as error:  # a task's SystemExit too
                fields["seconds"] = round(time.monotonic() - started, 3)
                self.record_failure(row, error, fields)
            else:
                fields["seconds"] = round(time.monotonic() - started, 3)
                TASKS.labels(row.task_path, "succeeded").inc()
                logger.info("task succeeded", extra=fields)
            task_finished.send(sender=sender, task_result=row.task_result)

    def record_failure(self, row, error, fields):
        attempts = fields["attempt"]
        if attempts_left(attempts):
            delay = retry_delay(attempts)
            claims.put_back(row, error, delay)
            TASKS.labels(row.task_path, "retried").inc()
            logger.warning(
                "task failed, to run again",
                extra={**fields, "retry_in": delay.total_seconds(), "error": repr(error)},
            )
        else:
            row.set_failed(error)
            TASKS.labels(row.task_path, "failed").inc()
            logger.error("task failed at its last attempt", extra=fields, exc_info=error)
