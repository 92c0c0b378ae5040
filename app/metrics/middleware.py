"""Each request counted, timed and, while it runs, in flight, by route name."""

import time

from django.conf import settings

from config.middleware import AsyncCapableMiddleware
from metrics.definitions import IN_FLIGHT, LATENCY, REQUESTS

# Methods counted by name; any other is "other", so that a client cannot
# grow the metrics by inventing methods.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_name(request):
    return request.method if request.method in METHODS else "other"


def route_name(request, response):
    """A bounded label: the URL's name (``home``, ``admin:index``), the probe
    or static file answered before the URLs, or ``unmatched``."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name:
        return match.view_name
    if getattr(response, "probe_answer", False):
        return request.path.strip("/")
    if request.path.startswith(settings.STATIC_URL) and response.status_code in (200, 304):
        return "static"
    return "unmatched"


class RequestMetricsMiddleware(AsyncCapableMiddleware):
    def __init__(self, get_response):
        super().__init__(get_response)
        # Each label set's child metrics, found once (the labels are bounded).
        self.counted = {}
        self.timed = {}

    def start(self):
        IN_FLIGHT.inc()
        return time.perf_counter()

    def finish(self, request, response, started):
        seconds = time.perf_counter() - started
        IN_FLIGHT.dec()
        route = route_name(request, response)
        method = method_name(request)
        key = (route, method, response.status_code)
        if (counter := self.counted.get(key)) is None:
            counter = self.counted[key] = REQUESTS.labels(route, method, str(key[2]))
        if (histogram := self.timed.get(key[:2])) is None:
            histogram = self.timed[key[:2]] = LATENCY.labels(route, method)
        counter.inc()
        histogram.observe(seconds)
        return response

    def handle(self, request):
        started = self.start()
        try:
            response = self.get_response(request)
        except BaseException:
            IN_FLIGHT.dec()
            raise
        return self.finish(request, response, started)

    async def ahandle(self, request):
        started = self.start()
        try:
            response = await self.get_response(request)
        except BaseException:
            IN_FLIGHT.dec()
            raise
        return self.finish(request, response, started)
