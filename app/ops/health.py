"""Liveness and readiness, for load balancers and Kubernetes probes.

``/healthz`` says the process can answer: it touches nothing else.
``/readyz`` says it can serve: PostgreSQL answers through the pool, and every
migration is applied. A failing check answers 503 with a JSON body naming it,
never a 500, and returns within the pool's timeout.
"""

import logging

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
PATHS = frozenset({LIVENESS_PATH, READINESS_PATH})

# Once every migration is applied it stays applied for this process's life
# (a new release brings a new process), so the loader runs until it says so.
_migrations_applied = False


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


def readiness():
    """Run the checks in order; return (ready, {check: result})."""
    checks = {}
    for name, check in (("database", check_database), ("migrations", check_migrations)):
        try:
            checks[name] = check()
        except Exception as error:  # any failure makes the service unready, not broken
            logger.warning("readiness check %s failed: %s", name, error.__class__.__name__)
            checks[name] = f"failed: {error.__class__.__name__}"
        if checks[name] != "ok":
            break
    ready = all(result == "ok" for result in checks.values()) and len(checks) == 2
    return ready, checks
