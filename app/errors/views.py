import sys

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.utils.log import log_response
from django.views import defaults


def database_unavailable(error):
    """True when the request failed for want of a database connection: the
    pool had none free within its timeout, or PostgreSQL did not answer."""
    return isinstance(error, OperationalError)


def server_error(request):
    """``handler500``: a 503 page with Retry-After when the database is out of
    reach or the pool is exhausted (a passing condition: try again), otherwise
    our 500 page."""
    if database_unavailable(sys.exc_info()[1]):
        return service_unavailable()
    return defaults.server_error(request)


# Seconds a client is told to wait before it tries again after a 503.
RETRY_AFTER = 5


def service_unavailable():
    """The 503 page with Retry-After, for a passing condition (the database
    out of reach, the pool or the password hasher busy). Rendered without the
    request, like Django's 500 page: the context processors would read the
    session and the user from the database, and it may be rendered on the
    event loop."""
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def payload_too_large(request):
    """The 413 page, for a body over ``REQUEST_MAX_BODY_SIZE`` (which was not
    read); the connection closes after it, so the rest is never read either."""
    limit = filesizeformat(settings.REQUEST_MAX_BODY_SIZE)
    response = render(request, "413.html", {"limit": limit}, status=413)
    response["Connection"] = "close"
    log_response("Payload too large: %s", request.path, response=response, request=request)
    return response
