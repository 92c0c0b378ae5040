#!/bin/sh
# Entry point of the image: runs its command (uvicorn, manage.py …) as PID 1.
#
# uvicorn finishes a graceful shutdown on SIGTERM and then raises SIGTERM
# again, so that the process ends as "killed by SIGTERM" (exit 143). Started
# with SIGTERM ignored, uvicorn still installs its own handler (SIGTERM still
# begins the graceful shutdown) but the final re-raise is a no-op, and a clean
# stop exits 0, as orchestrators and `docker compose` expect of a clean stop.
set -eu
trap '' TERM
exec "$@"
