"""Waking the worker's threads when a task is enqueued, instead of polling.

A trigger (``migrations/0001_initial.py``) sends ``NOTIFY`` on ``CHANNEL``
whenever a task row becomes READY; PostgreSQL delivers it when the
enqueuing transaction commits. One thread of the worker holds a connection
that LISTENs and sets an event the idle threads wait on. The threads still
look every ``POLL_SECONDS`` without one, for retries whose time has come and
for a notification missed while the connection was being remade.
"""

import logging
import threading

import psycopg
from django.db import DatabaseError, connection

logger = logging.getLogger("worker")

CHANNEL = "worker_task_ready"
POLL_SECONDS = 1.0
# How often the listening thread looks whether the worker is stopping.
LISTEN_TICK_SECONDS = 0.2


class Wakeup:
    def __init__(self):
        self._event = threading.Event()

    def wait(self, timeout=POLL_SECONDS):
        self._event.wait(timeout)
        self._event.clear()

    def wake(self):
        self._event.set()

    def listen(self, stopping):
        """Until ``stopping`` is set, on this thread's own pooled connection."""
        while not stopping.is_set():
            try:
                connection.ensure_connection()
                listener = connection.connection
                listener.execute(f"LISTEN {CHANNEL}")
                self.wake()  # whatever arrived while not listening
                while not stopping.is_set():
                    for _ in listener.notifies(timeout=LISTEN_TICK_SECONDS):
                        self.wake()
            except (DatabaseError, psycopg.Error) as error:
                # psycopg's own errors too: the raw connection is not Django's.
                logger.warning(
                    "LISTEN for new tasks failed; polling meanwhile", extra={"error": str(error)}
                )
                connection.close()
                stopping.wait(POLL_SECONDS)
        connection.close()
