"""What the server serves for HTTP: Django, behind the turns and the request limits.

``ASGI_HANDLER`` chooses Django's handler: ``fastpath`` (the default, see
``fastpath/``) or ``django``, what Django's own ``get_asgi_application()``
returns. Everything else (the limits, the middleware, the views) is the same
under both, and the tests that say what a request goes through run against
both.
"""

from django.conf import settings

from limits.asgi import RequestLimits
from limits.turns import Turns


def django_handler(name):
    if name == "django":
        from django.core.asgi import get_asgi_application

        return get_asgi_application()
    from fastpath.handler import ASGIHandler

    return ASGIHandler()


def served_application(handler_name=None):
    """Django with each request bounded by ``limits.asgi`` and taking its
    turn (``limits.turns``), on the handler named (by default the one
    ``ASGI_HANDLER`` names)."""
    return RequestLimits(Turns(django_handler(handler_name or settings.ASGI_HANDLER)))
