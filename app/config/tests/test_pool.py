"""The pool checks a connection before lending it only once it has been idle
for a while (config.pool); one given back a moment ago is lent unchecked."""

from unittest import mock

import psycopg
from django.db import connection
from django.test import SimpleTestCase

from config import pool
from health.checks import connection_kwargs


class IdleCheckTests(SimpleTestCase):
    databases = {"default"}

    def broken_connection(self):
        """A connection whose server side has ended."""
        broken = psycopg.connect(**connection_kwargs(), autocommit=True)
        self.addCleanup(broken.close)
        with psycopg.connect(**connection_kwargs(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [broken.info.backend_pid])
        return broken

    def test_a_connection_given_back_a_moment_ago_is_not_checked(self):
        broken = self.broken_connection()
        pool.note_given_back(broken)
        pool.check_if_idle(broken)  # no round trip: it does not see the break

    def test_a_connection_idle_for_longer_is_checked(self):
        broken = self.broken_connection()
        pool.note_given_back(broken)
        later = pool.time.monotonic() + pool.IDLE_BEFORE_CHECK_SECONDS + 1
        with (
            mock.patch.object(pool.time, "monotonic", return_value=later),
            self.assertRaises(psycopg.OperationalError),
        ):
            pool.check_if_idle(broken)

    def test_a_connection_never_given_back_is_checked(self):
        with self.assertRaises(psycopg.OperationalError):
            pool.check_if_idle(self.broken_connection())

    def test_the_pool_uses_them(self):
        options = connection.settings_dict["OPTIONS"]["pool"]
        self.assertIs(options["check"], pool.check_if_idle)
        self.assertIs(options["reset"], pool.note_given_back)
