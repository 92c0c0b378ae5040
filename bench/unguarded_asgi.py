"""Our app as it ran before its request limits, for bench/run.py to measure
what they cost: ``config.asgi``'s application with the fast path's handler
bare (no ``limits.asgi``: no bounded body, no unreadable-request handling)
and without ``RequestLimitsMiddleware``, served by uvicorn's own command line
and protocol. Never run it for anything else."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))

from django.conf import settings

from config import asgi
from fastpath.handler import ASGIHandler

settings.MIDDLEWARE = [
    path for path in settings.MIDDLEWARE if path != "limits.middleware.RequestLimitsMiddleware"
]

# config.asgi's application serves whatever this name holds.
asgi.django_application = ASGIHandler()
application = asgi.application
