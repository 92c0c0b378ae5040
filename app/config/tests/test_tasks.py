"""Django's tasks framework is wired to PostgreSQL: a task enqueued through
Django's own API is a row of the database backend, waiting for a worker."""

from django.tasks import TaskResultStatus, task_backends
from django.test import TestCase
from django_tasks_db.models import DBTaskResult

from config.tests.tasks import add


class TaskBackendTests(TestCase):
    def test_the_default_backend_is_the_database(self):
        self.assertEqual(type(task_backends["default"]).__module__, "django_tasks_db.backend")

    def test_an_enqueued_task_waits_in_the_database_for_a_worker(self):
        result = add.enqueue(2, 3)
        self.assertEqual(result.status, TaskResultStatus.READY)
        row = DBTaskResult.objects.get(id=result.id)
        self.assertEqual(row.task_path, "config.tests.tasks.add")
        self.assertEqual(row.status, TaskResultStatus.READY)
