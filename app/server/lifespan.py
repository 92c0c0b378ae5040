"""The ASGI lifespan protocol: what the process does when uvicorn starts and
stops it. Django's ASGI handler does not speak it, so ``config.asgi`` routes
lifespan messages here.

On shutdown, after the last request has finished, the connection pools are
closed: PostgreSQL sees the connections end cleanly, and the interpreter does
not wait at exit on pool threads that a finalizer cannot stop.
"""

from health.checks import close_readiness_pool
from metrics.middleware import connections_with_pools


def close_database_pools():
    for wrapper in connections_with_pools():
        wrapper.close_pool()


async def lifespan(scope, receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await close_readiness_pool()
            close_database_pools()
            await send({"type": "lifespan.shutdown.complete"})
            return
