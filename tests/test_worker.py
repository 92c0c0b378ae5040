"""The worker is a real process: ``manage.py db_worker`` runs, against the
test database, what this process enqueued through Django's tasks API."""

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import TransactionTestCase

from config.tests.tasks import add
from tests.support import manage, server_environment

pytestmark = pytest.mark.server


class WorkerProcessTests(TransactionTestCase):
    def test_a_worker_process_runs_a_task_enqueued_here(self):
        result = add.enqueue(2, 3)
        worked = manage(
            "db_worker",
            "--batch",
            "--no-startup-delay",
            env=server_environment(connection.settings_dict),
        )
        self.assertEqual(worked.returncode, 0, worked.stderr)
        result.refresh()
        self.assertEqual(result.status, TaskResultStatus.SUCCESSFUL)
        self.assertEqual(result.return_value, 5)
