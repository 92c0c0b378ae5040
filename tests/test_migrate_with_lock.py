"""Two migration runs at once against one real PostgreSQL database: both
succeed, one applies the migrations, the other waits and finds nothing to do."""

import subprocess
import time

import psycopg
import pytest
from django.test import SimpleTestCase

from release.management.commands.migrate_with_lock import LOCK_KEY
from tests.support import APP_DIR, PYTHON, ScratchDatabase, environment

pytestmark = pytest.mark.server


def waiting_for_the_lock(conn):
    return conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND objid = %s"
        # Advisory locks belong to one database; other test runs use others.
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [LOCK_KEY],
    ).fetchone()[0]


class MigrateWithLockTests(SimpleTestCase):
    def setUp(self):
        self.url = ScratchDatabase(self, prefix="test_migrate_lock").url

    def start_migration(self):
        return subprocess.Popen(
            [PYTHON, "manage.py", "migrate_with_lock", "--noinput"],
            cwd=APP_DIR,
            env=environment(DATABASE_URL=self.url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def test_two_runs_at_once_both_succeed_and_migrate_once(self):
        with psycopg.connect(self.url, autocommit=True) as holder:
            # Hold the lock ourselves until both runs are queued behind it, so
            # that they certainly run at the same time.
            holder.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
            runs = [self.start_migration(), self.start_migration()]
            deadline = time.monotonic() + 60
            while waiting_for_the_lock(holder) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(waiting_for_the_lock(holder), 2, "both runs should be waiting")
            holder.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])

        outputs = [run.communicate(timeout=120)[0] for run in runs]
        self.assertEqual([run.returncode for run in runs], [0, 0], outputs)
        applied = [out for out in outputs if "Applying accounts.0001_initial... OK" in out]
        idle = [out for out in outputs if "No migrations to apply." in out]
        self.assertEqual((len(applied), len(idle)), (1, 1), outputs)
