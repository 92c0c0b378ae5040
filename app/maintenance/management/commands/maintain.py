"""``manage.py maintain``: clear what has expired, once; run it on a schedule.

- sessions past their expiry (Django's ``clearsessions``);
- throttle counters whose window has passed (``accounts.throttling``);
- finished task results older than ``TASK_RESULTS_RETENTION_DAYS``
  (django-tasks-db's ``prune_db_task_results``); tasks still waiting or
  running are never touched.

Each step logs one line with what it removed. Running it twice, or two at
once, is harmless: every step deletes only what has expired.
"""

import logging

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.throttling import purge_expired

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Clear expired sessions, throttle counters and old task results."

    def handle(self, *args, **options):
        expired = Session.objects.filter(expire_date__lt=timezone.now()).count()
        call_command("clearsessions")
        logger.info("expired sessions cleared", extra={"step": "sessions", "removed": expired})

        removed = purge_expired()
        logger.info(
            "expired throttle counters cleared", extra={"step": "throttles", "removed": removed}
        )

        finished = DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
        )
        before = finished.count()
        call_command(
            "prune_db_task_results",
            queue_name="*",
            min_age_days=settings.TASK_RESULTS_RETENTION_DAYS,
            verbosity=0,
        )
        removed = before - finished.count()
        logger.info("old task results pruned", extra={"step": "task_results", "removed": removed})
