"""The worker's liveness file: it holds the time (seconds since the epoch)
until which the worker counts as alive. The worker rewrites it at every
heartbeat; ``python -m worker.probe`` fails once that time has passed."""

import os
import tempfile
import time
from pathlib import Path


def write(path, alive_for):
    """Atomically: a probe never reads half a file."""
    path = Path(path)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as file:
        file.write(f"{time.time() + alive_for:.3f}\n")
    os.replace(scratch, path)


def problem(path):
    """Why the file does not say the worker is alive, or None."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        return f"{path}: {error.strerror}: the worker has not started, or cannot write it"
    try:
        alive_until = float(text)
    except ValueError:
        return f"{path} does not hold a time ({text[:40]!r})"
    late = time.time() - alive_until
    if late > 0:
        return f"{path}: the worker's last heartbeat is {late:.0f} s overdue"
    return None
