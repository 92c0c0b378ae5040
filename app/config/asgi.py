"""The ASGI entry point: ``uvicorn config.asgi:application``, run from ``app/``."""

import os

import django

from config.env import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
load_settings_or_exit()
django.setup(set_prefix=False)

# What django.core.asgi.get_asgi_application() returns, with each request's
# thread taken from a pool (ops/fastpath.py); importable once Django is set up.
from ops.fastpath import ASGIHandler  # noqa: E402
from ops.lifespan import lifespan  # noqa: E402

django_application = ASGIHandler()


async def application(scope, receive, send):
    """Django for HTTP and websockets; ``ops.lifespan`` for start and stop."""
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
    else:
        await django_application(scope, receive, send)
