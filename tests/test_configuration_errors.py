"""Bad configuration stops start-up with one short line that names the variable.

Each test starts ``manage.py check`` as its own process with one bad value,
the way an operator would meet the problem.
"""

import subprocess

from django.test import SimpleTestCase

from tests.support import APP_DIR, UVICORN, environment, manage

GOOD_URL = "postgres://app:app@127.0.0.1:5432/app"


class ConfigurationErrorTests(SimpleTestCase):
    def assertStopsWith(self, result, expected):
        self.assertNotEqual(result.returncode, 0, "start-up should have failed")
        message = result.stderr.strip()
        self.assertNotIn("Traceback", message)
        self.assertEqual(len(message.splitlines()), 1, f"not one line:\n{message}")
        self.assertTrue(message.startswith("Configuration error: "), message)
        self.assertIn(expected, message)
        return message

    def check(self, unset=(), **values):
        return manage("check", env=environment(unset=unset, **values))

    def test_a_good_configuration_passes_the_check(self):
        result = self.check(DATABASE_URL=GOOD_URL)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_missing_database_url(self):
        self.assertStopsWith(self.check(unset=["DATABASE_URL"]), "DATABASE_URL is not set")

    def test_empty_database_url(self):
        self.assertStopsWith(self.check(DATABASE_URL=""), "DATABASE_URL is not set")

    def test_database_url_that_is_not_postgresql(self):
        message = self.assertStopsWith(
            self.check(DATABASE_URL="sqlite:///db.sqlite3"), "DATABASE_URL is not a PostgreSQL URL"
        )
        self.assertIn("'sqlite'", message)

    def test_database_url_with_a_bad_port_never_echoes_the_password(self):
        message = self.assertStopsWith(
            self.check(DATABASE_URL="postgres://app:hunter2@db:port/app"),
            "DATABASE_URL is malformed",
        )
        self.assertNotIn("hunter2", message)

    def test_database_url_without_a_database_name(self):
        self.assertStopsWith(
            self.check(DATABASE_URL="postgres://app:app@127.0.0.1:5432/"),
            "DATABASE_URL names no database",
        )

    def test_debug_that_is_not_a_boolean(self):
        self.assertStopsWith(self.check(DEBUG="maybe"), "DEBUG is not a boolean ('maybe')")

    def test_missing_secret_key_when_debug_is_off(self):
        self.assertStopsWith(
            self.check(unset=["SECRET_KEY"], DEBUG="false"),
            "SECRET_KEY is not set: it is required when DEBUG is off",
        )

    def test_weak_secret_key_when_debug_is_off(self):
        self.assertStopsWith(
            self.check(SECRET_KEY="short", DEBUG="false"), "SECRET_KEY is too weak"
        )

    def test_development_secret_key_when_debug_is_off(self):
        self.assertStopsWith(
            self.check(SECRET_KEY="django-insecure-" + "x1y2z3" * 10, DEBUG="false"),
            "SECRET_KEY is a placeholder or the development key",
        )

    def test_the_example_secret_key_of_the_manifests_is_refused(self):
        self.assertStopsWith(
            self.check(SECRET_KEY="change-me-to-50-random-characters-" + "x1y2z3" * 5),
            "SECRET_KEY is a placeholder",
        )

    def test_secret_key_is_optional_when_debug_is_on(self):
        result = self.check(unset=["SECRET_KEY"], DEBUG="true")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_pool_size_that_is_not_an_integer(self):
        self.assertStopsWith(
            self.check(DATABASE_POOL_MAX_SIZE="ten"), "DATABASE_POOL_MAX_SIZE is not an integer"
        )

    def test_pool_minimum_above_its_maximum(self):
        self.assertStopsWith(
            self.check(DATABASE_POOL_MIN_SIZE="5", DATABASE_POOL_MAX_SIZE="2"),
            "DATABASE_POOL_MIN_SIZE (5) is larger than DATABASE_POOL_MAX_SIZE (2)",
        )

    def test_csrf_trusted_origin_without_a_scheme(self):
        self.assertStopsWith(
            self.check(CSRF_TRUSTED_ORIGINS="example.com"),
            "CSRF_TRUSTED_ORIGINS has 'example.com', which is not an origin",
        )

    def test_email_url_with_an_unknown_scheme(self):
        self.assertStopsWith(
            self.check(EMAIL_URL="carrier-pigeon://coop"), "EMAIL_URL has an unknown scheme"
        )

    def test_forwarded_allow_ips_that_is_not_an_address(self):
        self.assertStopsWith(
            self.check(FORWARDED_ALLOW_IPS="10.0.0.0/8,proxy.internal"),
            "FORWARDED_ALLOW_IPS has 'proxy.internal', which is not an IP address or network",
        )

    def test_admin_url_that_is_not_a_path(self):
        self.assertStopsWith(
            self.check(ADMIN_URL="/admin"), "ADMIN_URL is not a path like 'admin/'"
        )

    def test_log_format_that_is_unknown(self):
        self.assertStopsWith(self.check(LOG_FORMAT="xml"), "LOG_FORMAT is not json or console")

    def test_sentry_dsn_that_is_not_a_dsn(self):
        self.assertStopsWith(self.check(SENTRY_DSN="not-a-dsn"), "SENTRY_DSN is not a Sentry DSN")

    def test_sentry_sample_rate_above_one(self):
        self.assertStopsWith(
            self.check(SENTRY_TRACES_SAMPLE_RATE="5"),
            "SENTRY_TRACES_SAMPLE_RATE must be at most 1.0 (got 5.0)",
        )

    def test_the_asgi_application_stops_the_same_way(self):
        result = subprocess.run(
            [UVICORN, "config.asgi:application", "--port", "0"],
            cwd=APP_DIR,
            env=environment(unset=["DATABASE_URL"]),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        self.assertNotEqual(result.returncode, 0)
        output = result.stdout + result.stderr
        self.assertNotIn("Traceback", output)
        self.assertIn("Configuration error: DATABASE_URL is not set", output)
