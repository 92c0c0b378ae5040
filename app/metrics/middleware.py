"""Each request counted, timed and, while it runs, in flight, by route name;
and the pool's connections as the request leaves them."""

import time

from django.conf import settings
from django.db import connections

from config.middleware import AsyncCapableMiddleware
from metrics.definitions import (
    IN_FLIGHT,
    LATENCY,
    POOL_CONNECTIONS,
    POOL_WAITED,
    POOL_WAITING,
    REQUESTS,
)

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


def connections_with_pools():
    """The database connections whose pool this process has opened (asking
    ``wrapper.pool`` would open one)."""
    for alias in connections:
        wrapper = connections[alias]
        if alias in getattr(wrapper, "_connection_pools", {}):
            yield wrapper


def open_pools():
    for wrapper in connections_with_pools():
        yield wrapper.pool


def record_pools():
    in_use = idle = waiting = queued = 0
    for pool in open_pools():
        stats = pool.get_stats()
        idle += stats.get("pool_available", 0)
        in_use += stats.get("pool_size", 0) - stats.get("pool_available", 0)
        waiting += stats.get("requests_waiting", 0)
        queued += stats.get("requests_queued", 0)
    POOL_CONNECTIONS.labels("in_use").set(in_use)
    POOL_CONNECTIONS.labels("idle").set(idle)
    POOL_WAITING.set(waiting)
    POOL_WAITED.set(queued)


class RequestMetricsMiddleware(AsyncCapableMiddleware):
    def start(self):
        IN_FLIGHT.inc()
        return time.perf_counter()

    def finish(self, request, response, started):
        seconds = time.perf_counter() - started
        IN_FLIGHT.dec()
        route = route_name(request, response)
        method = method_name(request)
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        LATENCY.labels(route, method).observe(seconds)
        record_pools()
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
