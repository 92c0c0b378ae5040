"""A URLconf for the tests only: a view that fails, to see what is reported."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def broken_view(request):
    raise RuntimeError("the view broke")


def logging_view(request):
    import logging

    logging.getLogger("pages").warning("something worth a look")
    return HttpResponse("logged")


urlpatterns = [
    path("broken/", broken_view),
    path("logging/", logging_view),
    *site_urlpatterns,
]
