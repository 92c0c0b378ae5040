"""Tasks for the tests only."""

import threading
import time
from pathlib import Path

from django.tasks import task


@task
def add(a, b):
    return a + b


@task
def fail(message):
    raise RuntimeError(message)


@task(takes_context=True)
def fail_first_attempt(context):
    if context.attempt == 1:
        raise ConnectionError("the first attempt fails")
    return context.attempt


# Two runs of ``meet`` at once pass it; one alone times out.
BARRIER = threading.Barrier(2)


@task
def meet():
    BARRIER.wait(timeout=10)


@task
def append_line(path, line):
    """One line appended to ``path``: what a run leaves, to count runs."""
    with Path(path).open("a") as file:
        file.write(f"{line}\n")


@task
def mark_and_sleep(path, seconds):
    """``started``, then ``seconds`` of work, then ``finished``, in ``path``."""
    append_line.call(path, "started")
    time.sleep(seconds)
    append_line.call(path, "finished")
