"""How long a failed task waits before it runs again."""

from datetime import timedelta

from django.conf import settings

LONGEST_DELAY = timedelta(hours=1)


def retry_delay(attempts):
    """After the ``attempts``-th run failed: ``WORKER_RETRY_DELAY`` seconds,
    doubled at each further attempt, at most an hour."""
    seconds = settings.WORKER_RETRY_DELAY * 2 ** (attempts - 1)
    return min(timedelta(seconds=seconds), LONGEST_DELAY)


def attempts_left(attempts):
    return attempts < settings.WORKER_MAX_ATTEMPTS
