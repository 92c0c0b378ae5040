"""Liveness and readiness, for load balancers and Kubernetes probes.

``/healthz`` says the process can answer: it touches nothing else.
``/readyz`` says it can serve: some host can be served (with DEBUG off and
ALLOWED_HOSTS empty every page would answer 400), PostgreSQL answers through
the pool, and every migration is applied. A failing check answers 503 with a
JSON body naming it, never a 500, and returns within the pool's timeout. The
hosts check costs nothing and is named only when it fails, so that a healthy
answer stays ``{"database": "ok", "migrations": "ok"}``.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from psycopg_pool import AsyncConnectionPool

from config.env import servable_hosts

logger = logging.getLogger(__name__)


# Once every migration is applied it stays applied for this process's life
# (a new release brings a new process), so the loader runs until it says so.
_migrations_applied = False


def check_hosts():
    if servable_hosts(settings.ALLOWED_HOSTS, debug=settings.DEBUG):
        return "ok"
    return "failed: no host can be served (ALLOWED_HOSTS is empty)"


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_migrations():
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} unapplied"
    _migrations_applied = True
    return "ok"


def check_migrations_and_give_back():
    """``check_migrations`` for the event loop, in a thread of the request's
    own: its pooled connection goes back at once, since an early answer
    (``fastpath.early``) has no ``request_finished`` to hand it back."""
    try:
        return check_migrations()
    finally:
        connection.close()


def failure(name, error):
    logger.warning("readiness check %s failed: %s", name, error.__class__.__name__)
    return f"failed: {error.__class__.__name__}"


def readiness():
    """Run the checks in order; return (ready, {check: result})."""
    if (hosts := check_hosts()) != "ok":
        return False, {"hosts": hosts}
    checks = {}
    for name, check in (("database", check_database), ("migrations", check_migrations)):
        try:
            checks[name] = check()
        except Exception as error:  # any failure makes the service unready, not broken
            checks[name] = failure(name, error)
        if checks[name] != "ok":
            break
    ready = all(result == "ok" for result in checks.values()) and len(checks) == 2
    return ready, checks


# Under ASGI the database check runs on the event loop, through a small async
# pool of psycopg's own (a probe then costs no thread). It opens its
# connections with the same parameters as Django's, at most two, in autocommit
# (one round trip per probe); a broken one is dropped when it is given back.
READINESS_POOL_SIZE = 2
# An async pool belongs to the event loop it was opened on: one per loop (a
# server process has one; tests may run several, one after another).
_pools = {}


def connection_kwargs():
    settings_dict = connections["default"].settings_dict
    options = {
        key: value
        for key, value in settings_dict["OPTIONS"].items()
        if key not in {"pool", "isolation_level", "server_side_binding", "assume_role"}
    }
    kwargs = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"],
        "host": settings_dict["HOST"],
        "port": settings_dict["PORT"],
        **options,
    }
    return {key: value for key, value in kwargs.items() if value not in (None, "")}


async def readiness_pool():
    entry = _pools.setdefault(asyncio.get_running_loop(), {"lock": asyncio.Lock(), "pool": None})
    if entry["pool"] is None:
        async with entry["lock"]:
            if entry["pool"] is None:
                pool = AsyncConnectionPool(
                    kwargs={**connection_kwargs(), "autocommit": True},
                    min_size=0,
                    max_size=READINESS_POOL_SIZE,
                    timeout=connections["default"].settings_dict["OPTIONS"]["pool"]["timeout"],
                    open=False,
                )
                await pool.open(wait=False)
                entry["pool"] = pool
    return entry["pool"]


async def close_readiness_pool():
    entry = _pools.pop(asyncio.get_running_loop(), None)
    if entry and entry["pool"] is not None:
        await entry["pool"].close()


async def acheck_database():
    pool = await readiness_pool()
    async with pool.connection() as conn:
        await conn.execute("SELECT 1")
    return "ok"


async def areadiness():
    """``readiness()`` for the event loop: the database on the loop; the
    migration check in a thread, until it has once found all applied."""
    if (hosts := check_hosts()) != "ok":
        return False, {"hosts": hosts}
    checks = {}
    try:
        checks["database"] = await acheck_database()
    except Exception as error:  # any failure makes the service unready, not broken
        checks["database"] = failure("database", error)
        return False, checks
    try:
        checks["migrations"] = (
            "ok" if _migrations_applied else await sync_to_async(check_migrations_and_give_back)()
        )
    except Exception as error:
        checks["migrations"] = failure("migrations", error)
    return checks["migrations"] == "ok", checks
