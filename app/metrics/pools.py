"""The database pools of this process, and their connections in the metrics.

The pool gauges are set once a second by a task on the server's event loop
(``server.lifespan`` starts it), not per request: a request runs in a
context of its own, where asking Django for a connection's wrapper builds a
new one.
"""

import asyncio

from django.db import connections

from metrics.definitions import POOL_CONNECTIONS, POOL_WAITED, POOL_WAITING

RECORD_EVERY_SECONDS = 1.0


def connections_with_pools():
    """The database connections whose pool this process has opened (asking
    ``wrapper.pool`` would open one)."""
    for alias in connections:
        wrapper = connections[alias]
        if alias in getattr(wrapper, "_connection_pools", {}):
            yield wrapper


def record_pools():
    in_use = idle = waiting = queued = 0
    for wrapper in connections_with_pools():
        stats = wrapper.pool.get_stats()
        idle += stats.get("pool_available", 0)
        in_use += stats.get("pool_size", 0) - stats.get("pool_available", 0)
        waiting += stats.get("requests_waiting", 0)
        queued += stats.get("requests_queued", 0)
    POOL_CONNECTIONS.labels("in_use").set(in_use)
    POOL_CONNECTIONS.labels("idle").set(idle)
    POOL_WAITING.set(waiting)
    POOL_WAITED.set(queued)


async def record_pools_periodically(seconds=RECORD_EVERY_SECONDS):
    while True:
        record_pools()
        await asyncio.sleep(seconds)
