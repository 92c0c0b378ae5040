"""The service's metrics, in the Prometheus format (prometheus-client).

Every metric is defined here, once. Under the server each uvicorn worker
process writes its values to files in ``PROMETHEUS_MULTIPROC_DIR``, which
``server.run`` sets before any worker starts, and the metrics endpoint adds
them up (``metrics.exposition``); gauges say how (``livesum``: the sum over
the processes alive). The task worker is one process and serves its own.
"""

from prometheus_client import Counter, Gauge, Histogram

# --- Web ------------------------------------------------------------------------

REQUESTS = Counter(
    "http_requests",
    "Requests answered, by route name, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Seconds from the request reaching Django to its answer, by route name and method.",
    ["route", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_FLIGHT = Gauge(
    "http_requests_in_flight", "Requests being answered now.", multiprocess_mode="livesum"
)
WAITING = Gauge(
    "http_requests_waiting",
    "Requests waiting for a turn now (limits.turns).",
    multiprocess_mode="livesum",
)
REFUSED = Counter(
    "http_refused_for_overload",
    "Requests answered 503 at once because the server was full, by reason.",
    ["reason"],
)
POOL_CONNECTIONS = Gauge(
    "db_pool_connections",
    "Connections of the database pools, by state (in_use, idle).",
    ["state"],
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "db_pool_requests_waiting",
    "Requests waiting for a pooled connection now.",
    multiprocess_mode="livesum",
)
POOL_WAITED = Gauge(
    "db_pool_requests_queued",
    "Requests that had to wait for a pooled connection, since each process started.",
    multiprocess_mode="livesum",
)

# --- Worker -----------------------------------------------------------------

TASKS = Counter(
    "worker_tasks",
    "Task runs finished by this worker, by task and outcome "
    "(succeeded, retried, failed, given_back).",
    ["task", "outcome"],
)
