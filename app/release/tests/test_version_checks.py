"""Code that leans on other packages' internals names the versions it was read
against; another version is a warning that says what to read and how to serve
meanwhile, never an error that blocks an upgrade."""

from unittest import mock

from django.core.checks import WARNING, run_checks
from django.test import SimpleTestCase, override_settings

from fastpath import versions
from limits import protocol
from server.application import django_handler


def installed_except(**changed):
    def installed(names=versions.CHECKED_AGAINST):
        return {name: changed.get(name, checked) for name, checked in names.items()}

    return installed


def version_warnings():
    return [m for m in run_checks() if m.id in {"release.W001", "release.W002"}]


class VersionCheckTests(SimpleTestCase):
    def test_the_versions_read_give_no_warning(self):
        with mock.patch.object(versions, "installed", installed_except()):
            self.assertEqual(version_warnings(), [])

    @override_settings(ASGI_HANDLER="fastpath")
    def test_a_new_django_is_a_warning_that_names_the_switch(self):
        with mock.patch.object(versions, "installed", installed_except(django="6.2")):
            (warning,) = version_warnings()
        self.assertEqual((warning.id, warning.level), ("release.W001", WARNING))
        self.assertIn("django 6.2 is installed", warning.msg)
        self.assertIn("ASGI_HANDLER=django", warning.msg)

    @override_settings(ASGI_HANDLER="django")
    def test_on_djangos_own_handler_the_fast_paths_versions_do_not_matter(self):
        with mock.patch.object(versions, "installed", installed_except(whitenoise="7.0")):
            self.assertEqual(version_warnings(), [])

    def test_a_new_uvicorn_is_a_warning_that_names_the_protocol(self):
        with mock.patch.object(versions, "installed", installed_except(uvicorn="0.60")):
            (warning,) = version_warnings()
        self.assertEqual((warning.id, warning.level), ("release.W002", WARNING))
        self.assertIn("limits/protocol.py", warning.hint)
        self.assertIn("uvicorn", protocol.CHECKED_AGAINST)

    def test_the_fast_path_logs_the_warning_when_the_server_starts(self):
        with (
            mock.patch.object(versions, "installed", installed_except(asgiref="3.14")),
            self.assertLogs("fastpath.handler", level="WARNING") as logs,
        ):
            django_handler("fastpath")
        self.assertIn("asgiref 3.14 is installed", logs.output[0])
