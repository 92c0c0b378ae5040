"""The image's health check: ``python -m health.probe`` asks the liveness path
of the server in this container, on ``UVICORN_PORT``, and exits 0 when it
answers 200, 1 otherwise (with one line that says why).

It imports nothing of Django, so that a check every few seconds costs little.
"""

import os
import sys
import urllib.request

from health.paths import LIVENESS_PATH

TIMEOUT_SECONDS = 2


def main():
    port = os.environ.get("UVICORN_PORT")
    if not port:
        sys.exit("UVICORN_PORT is not set: the image sets it to the port the server listens on")
    url = f"http://127.0.0.1:{port}{LIVENESS_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except OSError as error:
        sys.exit(f"{url}: {error}")
    if status != 200:
        sys.exit(f"{url} answered {status}")


if __name__ == "__main__":
    main()
