"""The ASGI entry point: ``uvicorn config.asgi:application``, run from ``app/``."""

import os

from django.core.asgi import get_asgi_application

from config.env import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
load_settings_or_exit()

django_application = get_asgi_application()

from ops.lifespan import lifespan  # noqa: E402 - needs the app registry ready


async def application(scope, receive, send):
    """Django for HTTP and websockets; ``ops.lifespan`` for start and stop."""
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
    else:
        await django_application(scope, receive, send)
