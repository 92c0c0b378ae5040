"""Our app as it ran before its request limits, for bench/run.py to measure
what they cost: ``config.asgi``'s application with Django's own ASGI handler
path (no bounded body, no unreadable-request handling) and without
``RequestLimitsMiddleware``, served by uvicorn's own command line and
protocol. Never run it for anything else."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler

from config import asgi
from ops.fastpath import ASGIHandler

settings.MIDDLEWARE = [
    path for path in settings.MIDDLEWARE if path != "ops.middleware.RequestLimitsMiddleware"
]


class UnguardedASGIHandler(ASGIHandler):
    handle = DjangoASGIHandler.handle
    create_request = DjangoASGIHandler.create_request


# config.asgi's application serves whatever handler this name holds.
asgi.django_application = UnguardedASGIHandler()
application = asgi.application
