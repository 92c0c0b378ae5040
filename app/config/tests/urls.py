"""A URLconf for the tests only: views that show what the request path does."""

import json
import logging
import threading
import time

from django.contrib import messages
from django.core.exceptions import SynchronousOnlyOperation
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path

from accounts.models import User
from config.urls import urlpatterns as site_urlpatterns


def broken_view(request):
    raise RuntimeError("the view broke")


def logging_view(request):
    logging.getLogger("pages").warning("something worth a look")
    return HttpResponse("logged")


def session_set(request):
    request.session["value"] = request.GET["value"]
    return HttpResponse("set")


def session_get(request):
    return HttpResponse(request.session.get("value", "nothing"))


def message_add(request):
    messages.info(request, "A message for you")
    return HttpResponseRedirect("/about/")


async def orm_on_the_loop(request):
    try:
        User.objects.count()
    except SynchronousOnlyOperation:
        return HttpResponse("refused")
    return HttpResponse("allowed")


def any_method(request):
    """A view with no CSRF decorator of its own, for every method."""
    return HttpResponse(f"{request.method} done")


def who_serves(request):
    """Which thread and which database connection serve this request, when."""
    started = time.monotonic()
    connection.ensure_connection()  # may wait for the pool to have one free
    acquired = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), pg_sleep(0.2)")
        backend = cursor.fetchone()[0]
    body = {
        "thread": threading.get_ident(),
        "backend": backend,
        "started": started,
        "acquired": acquired,
        "ended": time.monotonic(),
    }
    return HttpResponse(json.dumps(body), content_type="application/json")


urlpatterns = [
    path("broken/", broken_view),
    path("logging/", logging_view),
    path("t/session-set/", session_set),
    path("t/session-get/", session_get),
    path("t/message-add/", message_add),
    path("t/orm-on-the-loop/", orm_on_the_loop),
    path("t/who/", who_serves),
    path("t/any-method/", any_method),
    *site_urlpatterns,
]
