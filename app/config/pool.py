"""How the database pool checks a connection before lending it.

With ``CONN_HEALTH_CHECKS``, Django has psycopg's pool check every
connection it lends (``ConnectionPool.check_connection``): one round trip to
PostgreSQL more per request, on a page that makes two or three. The pool
here checks a connection only when it has been idle for more than
``IDLE_BEFORE_CHECK_SECONDS``: one in steady use was working a moment ago.
A connection that broke within that moment (PostgreSQL restarted, the
network cut) fails its request, as a connection breaking during a request
always can (the service answers 503); the pool then discards it. An idle
connection, the kind a restart leaves behind, is checked as before.

Both are psycopg_pool's documented callbacks (``check``, and ``reset``,
called when a connection is given back), set in ``DATABASES``.
"""

import time
import weakref

from psycopg_pool import ConnectionPool

IDLE_BEFORE_CHECK_SECONDS = 1.0

# When each connection was last given back to the pool.
_given_back_at = weakref.WeakKeyDictionary()


def note_given_back(connection):
    _given_back_at[connection] = time.monotonic()


def check_if_idle(connection):
    given_back = _given_back_at.get(connection)
    if given_back is None or time.monotonic() - given_back > IDLE_BEFORE_CHECK_SECONDS:
        ConnectionPool.check_connection(connection)
