"""``manage.py worker``: run the tasks enqueued through Django's tasks API.

See ``worker/runner.py`` for what it does on SIGTERM, with failures, and
with the tasks of a worker that died.
"""

import signal
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS
from django.utils import autoreload

from metrics import exposition
from worker.metrics import QueueCollector
from worker.runner import Worker

# Beside the task threads: the heartbeat and the LISTEN connection.
CONNECTIONS_BESIDE_TASKS = 2


class Command(BaseCommand):
    help = "Run background tasks, WORKER_CONCURRENCY at a time, until SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue-name",
            default="default",
            help="The queues to take tasks from, comma-separated; * for all (default: default).",
        )
        parser.add_argument(
            "--backend",
            default=DEFAULT_TASK_BACKEND_ALIAS,
            help="The task backend whose tasks to run (default: default).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Exit once no task is ready, waiting for a retry, or running.",
        )
        parser.add_argument(
            "--reload",
            action="store_true",
            help="Restart on code changes (development only: a running task is cut short).",
        )
        parser.add_argument(
            "--worker-id", help="A unique id, at most 64 characters (default: host-pid-random)."
        )

    def handle(self, *args, queue_name, backend, batch, reload, worker_id, **options):
        pool = connection.settings_dict["OPTIONS"].get("pool", {})
        needed = settings.WORKER_CONCURRENCY + CONNECTIONS_BESIDE_TASKS
        if pool and pool["max_size"] < needed:
            raise CommandError(
                f"DATABASE_POOL_MAX_SIZE ({pool['max_size']}) is below WORKER_CONCURRENCY "
                f"({settings.WORKER_CONCURRENCY}) + {CONNECTIONS_BESIDE_TASKS}: "
                f"raise it to {needed}"
            )
        if worker_id is not None and not 0 < len(worker_id) <= 64:
            raise CommandError("--worker-id must be 1 to 64 characters")
        worker = Worker(
            queue_names=queue_name.split(","),
            backend_name=backend,
            batch=batch,
            worker_id=worker_id,
        )
        if reload:
            # The reloader's parent process stops at once on SIGTERM, and the
            # worker it runs in a thread cannot install signal handlers.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            autoreload.run_with_reloader(worker.run)
            return
        if settings.METRICS_PORT:
            exposition.serve(settings.UVICORN_HOST, settings.METRICS_PORT, QueueCollector(backend))
        worker.install_signal_handlers()
        sys.exit(worker.run())
