"""The worker's liveness probe: ``python -m worker.probe`` exits 0 while the
heartbeat file (``WORKER_HEARTBEAT_FILE``, which the image sets) says the
worker is alive, 1 otherwise, with one line that says why.

It imports nothing of Django, so that a check every few seconds costs little.
"""

import os
import sys

from worker.heartbeat import problem


def main():
    path = os.environ.get("WORKER_HEARTBEAT_FILE")
    if not path:
        sys.exit(
            "WORKER_HEARTBEAT_FILE is not set: the image sets it to the worker's liveness file"
        )
    if reason := problem(path):
        sys.exit(reason)


if __name__ == "__main__":
    main()
