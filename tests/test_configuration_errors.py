"""Bad configuration stops start-up with one short line that names the variable.

Each test starts ``manage.py check`` as its own process with one bad value,
the way an operator would meet the problem.
"""

import subprocess
import tempfile

import pytest
from django.db import connection
from django.test import SimpleTestCase, TestCase

from tests.support import APP_DIR, UVICORN, database_url, environment, manage

pytestmark = pytest.mark.server

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

    def test_an_admin_url_that_covers_the_sites_pages_fails_the_check(self):
        for admin_url, hidden in (("accounts/", "/accounts/login/"), ("about/", "/about/")):
            with self.subTest(admin_url):
                result = self.check(DATABASE_URL=GOOD_URL, ADMIN_URL=admin_url)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("release.E003", result.stderr)
                self.assertIn(hidden, result.stderr)

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

    def test_metrics_on_the_applications_port(self):
        self.assertStopsWith(
            self.check(METRICS_PORT="8000", UVICORN_PORT="8000"),
            "METRICS_PORT (8000) is UVICORN_PORT: give the metrics their own",
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

    def test_asgi_handler_that_is_unknown(self):
        self.assertStopsWith(
            self.check(ASGI_HANDLER="gunicorn"), "ASGI_HANDLER is not fastpath or django"
        )

    def test_sentry_dsn_that_is_not_a_dsn(self):
        self.assertStopsWith(self.check(SENTRY_DSN="not-a-dsn"), "SENTRY_DSN is not a Sentry DSN")

    def test_sentry_sample_rate_above_one(self):
        self.assertStopsWith(
            self.check(SENTRY_TRACES_SAMPLE_RATE="5"),
            "SENTRY_TRACES_SAMPLE_RATE must be at most 1.0 (got 5.0)",
        )

    def test_wildcard_hosts_when_debug_is_off(self):
        self.assertStopsWith(
            self.check(ALLOWED_HOSTS="*", DEBUG="false"), "ALLOWED_HOSTS has '*', which accepts any"
        )

    def test_wildcard_hosts_are_allowed_when_debug_is_on(self):
        result = self.check(ALLOWED_HOSTS="*", DEBUG="true")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_wildcard_inside_a_host_name(self):
        self.assertStopsWith(
            self.check(ALLOWED_HOSTS="*.example.com"),
            "ALLOWED_HOSTS has '*.example.com', a wildcard Django does not honour",
        )

    def test_a_host_written_as_a_url(self):
        self.assertStopsWith(
            self.check(ALLOWED_HOSTS="https://example.com/"),
            "ALLOWED_HOSTS has an entry with a scheme",
        )

    def test_a_host_with_a_port(self):
        self.assertStopsWith(
            self.check(ALLOWED_HOSTS="example.com:8000"), "ALLOWED_HOSTS has 'example.com:8000'"
        )

    def test_a_control_character_is_never_echoed(self):
        message = self.assertStopsWith(
            self.check(SECRET_KEY="hunter2" * 10 + "\nx"), "SECRET_KEY holds a control character"
        )
        self.assertNotIn("hunter2", message)

    def test_a_sender_that_is_not_an_email_address(self):
        self.assertStopsWith(
            self.check(DEFAULT_FROM_EMAIL="Djangoship"),
            "DEFAULT_FROM_EMAIL is not an email address",
        )

    def test_a_sender_with_a_name_is_allowed(self):
        result = self.check(DEFAULT_FROM_EMAIL="Djangoship <noreply@example.com>")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_server_email_with_two_addresses(self):
        self.assertStopsWith(
            self.check(SERVER_EMAIL="ops@example.com, dev@example.com"),
            "SERVER_EMAIL is not an email address",
        )

    def test_a_proxy_ssl_header_written_with_its_value(self):
        self.assertStopsWith(
            self.check(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https"),
            "SECURE_PROXY_SSL_HEADER is not a header name",
        )

    def test_an_application_name_longer_than_postgresql_keeps(self):
        self.assertStopsWith(
            self.check(DATABASE_APPLICATION_NAME="web-" + "x" * 60),
            "DATABASE_APPLICATION_NAME is longer than 63 characters (64)",
        )

    def test_an_application_name_with_a_control_character(self):
        self.assertStopsWith(
            self.check(DATABASE_APPLICATION_NAME="djangoship\tweb"),
            "DATABASE_APPLICATION_NAME holds a control character",
        )

    def test_a_connect_timeout_below_what_libpq_honours(self):
        self.assertStopsWith(
            self.check(DATABASE_CONNECT_TIMEOUT="1"),
            "DATABASE_CONNECT_TIMEOUT must be at least 2 (got 1)",
        )

    def test_a_csrf_trusted_origin_with_a_path(self):
        self.assertStopsWith(
            self.check(CSRF_TRUSTED_ORIGINS="https://example.com/shop"),
            "CSRF_TRUSTED_ORIGINS has 'https://example.com/shop', which has a path",
        )

    def test_a_file_mail_url_with_two_slashes(self):
        self.assertStopsWith(
            self.check(EMAIL_URL="filemail://tmp/mail"), "EMAIL_URL names a host for file mail"
        )

    def test_a_relative_static_root(self):
        self.assertStopsWith(
            self.check(STATIC_ROOT="staticfiles"), "STATIC_ROOT is not an absolute path"
        )

    def test_an_admin_url_that_climbs_out(self):
        self.assertStopsWith(self.check(ADMIN_URL="../"), "ADMIN_URL is not a path like 'admin/'")

    def test_a_sentry_environment_with_a_space(self):
        self.assertStopsWith(
            self.check(SENTRY_ENVIRONMENT="eu west"), "SENTRY_ENVIRONMENT must not contain ' '"
        )

    def test_a_sentry_release_with_a_slash(self):
        self.assertStopsWith(
            self.check(SENTRY_RELEASE="feature/login"), "SENTRY_RELEASE must not contain '/'"
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


class ServerStartTests(SimpleTestCase):
    """The real uvicorn process, with the production values of the tests
    (DEBUG off) and one bad or missing value: it stops at start-up with one
    line, before it serves anything."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.static_root = tempfile.TemporaryDirectory(prefix="static-")

    @classmethod
    def tearDownClass(cls):
        cls.static_root.cleanup()
        super().tearDownClass()

    def start(self, unset=(), **values):
        values = {"ALLOWED_HOSTS": "127.0.0.1", "STATIC_ROOT": self.static_root.name, **values}
        return subprocess.run(
            [UVICORN, "config.asgi:application", "--port", "0"],
            cwd=APP_DIR,
            env=environment(unset=unset, **values),
            capture_output=True,
            text=True,
            timeout=30,  # a server that starts runs until then
            check=False,
        )

    def assertStopsWith(self, result, expected):
        self.assertNotEqual(result.returncode, 0, "the server should not have started")
        self.assertEqual(result.stdout, "", "the server started to serve")
        message = result.stderr.strip()
        self.assertEqual(len(message.splitlines()), 1, f"not one line:\n{message}")
        self.assertTrue(message.startswith(f"Configuration error: {expected}"), message)

    def test_wildcard_hosts(self):
        self.assertStopsWith(
            self.start(ALLOWED_HOSTS="*"), "ALLOWED_HOSTS has '*', which accepts any"
        )

    def test_empty_hosts(self):
        self.assertStopsWith(
            self.start(ALLOWED_HOSTS=""),
            "ALLOWED_HOSTS is empty, so with DEBUG off every page would answer 400: "
            "name the site's hosts, such as example.com,www.example.com",
        )

    def test_a_pool_timeout_that_is_infinite(self):
        self.assertStopsWith(
            self.start(DATABASE_POOL_TIMEOUT="inf"),
            "DATABASE_POOL_TIMEOUT must be a finite number (got 'inf')",
        )

    def test_a_pool_timeout_that_is_not_a_number(self):
        self.assertStopsWith(
            self.start(DATABASE_POOL_TIMEOUT="nan"),
            "DATABASE_POOL_TIMEOUT must be a finite number (got 'nan')",
        )

    def test_a_login_throttle_window_beyond_its_maximum(self):
        self.assertStopsWith(
            self.start(LOGIN_THROTTLE_WINDOW="999999999999999"),
            "LOGIN_THROTTLE_WINDOW must be at most 604800 (got 999999999999999)",
        )


class CommandsWithoutHostsTests(TestCase):
    """The image build (collectstatic) and the migrate Job run without
    ALLOWED_HOSTS: the settings allow it; only serving refuses it."""

    def test_migrate_check_runs_without_hosts(self):
        env = environment(
            unset=["ALLOWED_HOSTS"],
            DEBUG="false",
            DATABASE_URL=database_url(connection.settings_dict),
        )
        result = manage("migrate", "--check", env=env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
