"""The queue as the worker's metrics endpoint shows it, read from the
database at each scrape: how many tasks are ready to run, and how long the
oldest of them has waited, per queue."""

from django.db import DatabaseError, close_old_connections
from django.db.models import Case, Count, F, Min, Q, When
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.core import GaugeMetricFamily


class QueueCollector:
    """A prometheus-client collector: ``task_queue_depth`` and
    ``task_queue_oldest_age_seconds``, by queue, for one task backend."""

    def __init__(self, backend_name):
        self.backend_name = backend_name

    def describe(self):
        return []  # asked at each scrape only, never at registration

    def collect(self):
        depth = GaugeMetricFamily(
            "task_queue_depth", "Tasks ready to run now, by queue.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "task_queue_oldest_age_seconds",
            "Seconds the oldest task ready to run has waited since it became due, by queue.",
            labels=["queue"],
        )
        now = timezone.now()
        # django-tasks-db stores "no run_after" as the largest date: such a
        # task is due since it was enqueued.
        never = get_date_max()
        due = Case(When(run_after=never, then=F("enqueued_at")), default=F("run_after"))
        try:
            rows = (
                DBTaskResult.objects.filter(
                    Q(run_after=never) | Q(run_after__lte=now),
                    backend_name=self.backend_name,
                    status=TaskResultStatus.READY,
                )
                .values("queue_name")
                .annotate(depth=Count("id"), due=Min(due))
            )
            for row in rows:
                depth.add_metric([row["queue_name"]], row["depth"])
                age.add_metric([row["queue_name"]], (now - row["due"]).total_seconds())
        except DatabaseError:
            pass  # the scrape shows no queue; the worker's log says why
        finally:
            close_old_connections()
        yield depth
        yield age
