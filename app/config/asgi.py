"""The ASGI entry point: ``uvicorn config.asgi:application``, run from ``app/``.

A server that imports it with settings that can serve no host (DEBUG off,
ALLOWED_HOSTS empty) stops with one line instead of answering 400 to every
page; management commands, which do not import it, run without hosts.
"""

import os

import django

from config.env import exit_unless_servable, load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
load_settings_or_exit()
exit_unless_servable()
django.setup(set_prefix=False)

# Importable once Django is set up.
from server.application import served_application  # noqa: E402
from server.lifespan import lifespan  # noqa: E402

django_application = served_application()


async def application(scope, receive, send):
    """Django for HTTP and websockets; ``server.lifespan`` for start and stop."""
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
    else:
        await django_application(scope, receive, send)
