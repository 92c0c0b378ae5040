"""Django's deployment checklist passes with production values and the
defaults of the settings, and fails when one safeguard is turned off."""

import pytest
from django.core import checks
from django.test import SimpleTestCase, override_settings

from tests.support import environment, manage

pytestmark = pytest.mark.server

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "deploy-check-6f1e0c2a9b8d7e5f4a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
    "ALLOWED_HOSTS": "shop.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
    "EMAIL_URL": "smtp+tls://mailer:password@smtp.example.com:587",
}
# Left to their defaults, which must be the safe ones.
DEFAULTED = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
]


class DeployCheckTests(SimpleTestCase):
    def deploy_check(self, **values):
        env = environment(unset=DEFAULTED, **{**PRODUCTION, **values})
        return manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    def test_production_values_pass_the_deploy_check(self):
        result = self.deploy_check()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("System check identified no issues", result.stdout)

    def test_only_the_hsts_preload_reminder_is_silenced_and_only_while_it_is_off(self):
        self.assertIn("(1 silenced)", self.deploy_check().stdout)
        result = self.deploy_check(SECURE_HSTS_PRELOAD="true")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no issues (0 silenced)", result.stdout)

    def test_turning_a_safeguard_off_fails_the_deploy_check(self):
        result = self.deploy_check(SECURE_SSL_REDIRECT="false")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("security.W008", result.stdout + result.stderr)

    def test_a_development_mailer_fails_the_deploy_check(self):
        result = self.deploy_check(EMAIL_URL="consolemail://")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("mail.E001", result.stdout + result.stderr)

    def test_empty_hosts_fail_the_deploy_check(self):
        result = self.deploy_check(ALLOWED_HOSTS="")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("release.E001", result.stdout + result.stderr)

    def test_wildcard_hosts_stop_the_deploy_check_at_the_settings(self):
        result = self.deploy_check(ALLOWED_HOSTS="*")
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(
            result.stderr.strip().splitlines(),
            [
                "Configuration error: ALLOWED_HOSTS has '*', which accepts any Host header "
                "(a forged one would reach the password-reset links) and is refused with "
                "DEBUG off: name the site's hosts, such as example.com,www.example.com"
            ],
        )


class AllowedHostsCheckTests(SimpleTestCase):
    """The deploy check holds whatever the settings let through."""

    def deploy_errors(self):
        return [
            message.id
            for message in checks.run_checks(
                tags=[checks.Tags.security], include_deployment_checks=True
            )
            if message.id.startswith("release.")
        ]

    @override_settings(DEBUG=False, ALLOWED_HOSTS=["*"])
    def test_a_lone_wildcard_fails(self):
        self.assertEqual(self.deploy_errors(), ["release.E002"])

    @override_settings(DEBUG=False, ALLOWED_HOSTS=["shop.example.com", "*.example.com"])
    def test_a_wildcard_inside_a_name_fails(self):
        self.assertEqual(self.deploy_errors(), ["release.E002"])

    @override_settings(DEBUG=False, ALLOWED_HOSTS=[])
    def test_no_hosts_fail(self):
        self.assertEqual(self.deploy_errors(), ["release.E001"])

    @override_settings(DEBUG=False, ALLOWED_HOSTS=["shop.example.com", ".example.org"])
    def test_named_hosts_pass(self):
        self.assertEqual(self.deploy_errors(), [])

    @override_settings(DEBUG=True, ALLOWED_HOSTS=["*"])
    def test_debug_is_not_checked(self):
        self.assertEqual(self.deploy_errors(), [])
