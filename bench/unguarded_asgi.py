"""Our app as it ran before its request limits, for bench/run.py to measure
what they cost: the same settings and fast path, without ``ops.limits`` (the
bounded body, the request class) and ``RequestLimitsMiddleware``, served by
uvicorn's own command line and protocol. Never run it for anything else."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django
from django.conf import settings

from config.env import load_settings_or_exit

load_settings_or_exit()
settings.MIDDLEWARE = [
    path for path in settings.MIDDLEWARE if path != "ops.middleware.RequestLimitsMiddleware"
]
django.setup(set_prefix=False)

from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler  # noqa: E402

from ops.fastpath import ASGIHandler  # noqa: E402
from ops.lifespan import lifespan  # noqa: E402


class UnguardedASGIHandler(ASGIHandler):
    handle = DjangoASGIHandler.handle
    create_request = DjangoASGIHandler.create_request
    request_class = DjangoASGIHandler.request_class


django_application = UnguardedASGIHandler()


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
    else:
        await django_application(scope, receive, send)
