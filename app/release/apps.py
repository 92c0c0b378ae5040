from django.apps import AppConfig


class ReleaseConfig(AppConfig):
    """What a release runs before it serves: ``migrate_with_lock`` and the
    system checks (``release.checks``)."""

    name = "release"
    verbose_name = "Release"

    def ready(self):
        from release import checks  # noqa: F401 - registers the system checks
