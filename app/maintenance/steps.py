"""What ``manage.py maintain`` clears, one function a step.

Each step deletes only what has expired and returns how many rows it
removed, so that running it twice, or two at once, is harmless. A periodic
job that suits the hourly schedule is one more function here, added to
``STEPS`` (see "Periodic jobs" in docs/production.md).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.throttling import purge_expired
from audit.trail import prune as prune_security_events
from worker.models import Heartbeat

# Far longer than any WORKER_STALE_AFTER: only the dead are pruned.
DEAD_WORKER_AGE = timedelta(days=1)


def expired_sessions():
    """Sessions past their expiry (Django's ``clearsessions``)."""
    expired = Session.objects.filter(expire_date__lt=timezone.now()).count()
    call_command("clearsessions")
    return expired


def old_task_results():
    """Finished task results older than ``TASK_RESULTS_RETENTION_DAYS``
    (django-tasks-db's ``prune_db_task_results``); tasks still waiting or
    running are never touched."""
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
    return before - finished.count()


def dead_worker_heartbeats():
    """The heartbeat rows of workers not heard from for a day (killed
    before they could remove their own)."""
    removed, _ = Heartbeat.objects.filter(seen_at__lt=timezone.now() - DEAD_WORKER_AGE).delete()
    return removed


def old_security_events():
    """Security events older than ``AUDIT_RETENTION_DAYS``."""
    return prune_security_events(settings.AUDIT_RETENTION_DAYS)


# (step, what its log line says, the function)
STEPS = [
    ("sessions", "expired sessions cleared", expired_sessions),
    ("throttles", "expired throttle counters cleared", purge_expired),
    ("task_results", "old task results pruned", old_task_results),
    ("worker_heartbeats", "heartbeats of dead workers pruned", dead_worker_heartbeats),
    ("security_events", "old security events pruned", old_security_events),
]
