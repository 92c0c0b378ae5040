"""The ASGI lifespan protocol: what the process does when uvicorn starts and
stops it. Django's ASGI handler does not speak it, so ``config.asgi`` routes
lifespan messages here.

At start-up it begins recording the database pools in the metrics, once a
second (``metrics.pools``). On shutdown, after the last request has
finished, the connection pools are closed: PostgreSQL sees the connections
end cleanly, and the interpreter does not wait at exit on pool threads that
a finalizer cannot stop.
"""

import asyncio
import contextlib

from health.checks import close_readiness_pool
from metrics.pools import connections_with_pools, record_pools_periodically


def close_database_pools():
    for wrapper in connections_with_pools():
        wrapper.close_pool()


async def lifespan(scope, receive, send):
    recording = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            recording = asyncio.create_task(record_pools_periodically())
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if recording is not None:
                recording.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await recording
            await close_readiness_pool()
            close_database_pools()
            await send({"type": "lifespan.shutdown.complete"})
            return
