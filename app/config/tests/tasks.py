"""Tasks for the tests only."""

from django.tasks import task


@task
def add(a, b):
    return a + b
