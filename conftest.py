"""Settings that hold in tests only: they buy speed, never change behaviour."""

import pytest
from django.test import override_settings


@pytest.fixture(scope="session", autouse=True)
def _test_only_settings():
    """A fast password hasher, and static URLs without collectstatic's manifest.

    Session-scoped, so it is on before any ``setUpTestData`` creates a user.
    The test that runs the real server collects and serves the hashed files.
    """
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        yield


TIERS = {"server", "browser", "containers", "faults", "bench", "k8s"}


def pytest_collection_modifyitems(items):
    """Mark ``fast`` every test that needs none of the other tiers."""
    for item in items:
        if not TIERS & {mark.name for mark in item.iter_markers()}:
            item.add_marker(pytest.mark.fast)
