"""``manage.py maintain``: clear what has expired (``maintenance.steps``),
once, or every ``--every`` seconds until SIGTERM.

Each step logs one line with what it removed. Kubernetes runs it once an
hour from a CronJob; compose runs it with ``--every 3600`` in a service of
its own.
"""

import logging
import signal

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from maintenance.steps import STEPS
from worker.stopping import SignalSafeEvent

logger = logging.getLogger("maintenance")


class Command(BaseCommand):
    help = (
        "Clear expired sessions, throttle counters, old task results, dead workers"
        " and old security events."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="Run now and then every SECONDS (at least 60), until SIGTERM.",
        )

    def handle(self, *args, every, **options):
        if every is None:
            run_steps()
            return
        if every < 60:
            raise CommandError("--every must be at least 60 seconds")
        stopping = SignalSafeEvent()
        stopping.set_by((signal.SIGTERM, signal.SIGINT))
        while not stopping.is_set():
            try:
                run_steps()
            except DatabaseError:
                # The next run tries again; the database may be back by then.
                logger.exception("maintenance failed")
            finally:
                close_old_connections()
            stopping.wait(every)


def run_steps():
    for step, message, clear in STEPS:
        logger.info(message, extra={"step": step, "removed": clear()})
