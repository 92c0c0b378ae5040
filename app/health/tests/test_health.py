import json

from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django.test import TestCase, TransactionTestCase, override_settings

from health import checks as health

POD_IP = "10.244.3.17"


class LivenessTests(TestCase):
    def test_healthz_answers_ok_without_touching_the_database(self):
        with self.assertNumQueries(0):
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"ok\n")
        self.assertEqual(response["Cache-Control"], "no-store")

    @override_settings(ALLOWED_HOSTS=["example.com"], SECURE_SSL_REDIRECT=True)
    def test_probes_with_a_pod_ip_over_plain_http_are_answered(self):
        for path in ("/healthz", "/readyz"):
            with self.subTest(path):
                self.assertEqual(self.client.get(path, HTTP_HOST=POD_IP).status_code, 200)
        # Any other page, with the same request, is refused or redirected.
        self.assertEqual(self.client.get("/", HTTP_HOST=POD_IP).status_code, 400)
        self.assertEqual(self.client.get("/", HTTP_HOST="example.com").status_code, 301)

    def test_health_hits_are_not_logged_at_info(self):
        with self.assertNoLogs("logs.access", level="INFO"):
            self.client.get("/healthz")
            self.client.get("/readyz")
        with self.assertLogs("logs.access", level="DEBUG") as logs:
            self.client.get("/healthz")
        self.assertEqual(logs.records[0].path, "/healthz")


class ReadinessTests(TestCase):
    def test_readyz_is_ok_when_the_database_answers_and_migrations_are_applied(self):
        response = self.client.get("/readyz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(
            json.loads(response.content),
            {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}},
        )


def later_accounts_migrations():
    """How many migrations of accounts come after its first."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return len([name for app, name in loader.disk_migrations if app == "accounts"]) - 1


class UnappliedMigrationTests(TransactionTestCase):
    def setUp(self):
        health._migrations_applied = False
        self.addCleanup(call_command, "migrate", "accounts", verbosity=0)
        call_command("migrate", "accounts", "0001", verbosity=0)

    def test_readyz_answers_503_naming_the_unapplied_migrations(self):
        response = self.client.get("/readyz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(
            json.loads(response.content),
            {
                "status": "unavailable",
                "checks": {
                    "database": "ok",
                    "migrations": f"{later_accounts_migrations()} unapplied",
                },
            },
        )
