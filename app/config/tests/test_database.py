from django.conf import settings
from django.db import connection
from django.test import TestCase


class DatabaseConnectionTests(TestCase):
    def test_the_database_is_postgresql(self):
        self.assertEqual(connection.vendor, "postgresql")
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            self.assertTrue(cursor.fetchone()[0].startswith("PostgreSQL"))

    def test_connections_come_from_psycopgs_pool(self):
        self.assertIsNotNone(connection.pool)
        self.assertEqual(settings.DATABASES["default"]["CONN_MAX_AGE"], 0)
        self.assertTrue(settings.DATABASES["default"]["CONN_HEALTH_CHECKS"])

    def test_the_connection_names_the_service(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('application_name')")
            self.assertEqual(cursor.fetchone()[0], "djangoship")
