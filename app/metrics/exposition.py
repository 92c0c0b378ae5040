"""The metrics endpoint: a port of its own (``METRICS_PORT``), never the
application's, so that the proxy and the Gateway, which route only the
application's port, never expose it."""

import os
import shutil
import tempfile

# prometheus-client reads it once, when it is first imported: this module
# imports it only inside ``serve``.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess():
    """Give the worker processes a fresh, empty directory for their values.
    Called by the server's main process before any worker starts (and before
    prometheus-client is imported, which reads the variable once)."""
    path = tempfile.mkdtemp(prefix="metrics-")
    os.environ[MULTIPROC_ENV] = path
    return path


def remove_multiprocess(path):
    shutil.rmtree(path, ignore_errors=True)


def serve(host, port, *collectors):
    """Serve ``/metrics`` on ``host:port`` from a thread: the processes'
    values added up in multiprocess mode, else this process's, and the
    ``collectors`` given (asked at each scrape)."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    for collector in collectors:
        registry.register(collector)
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server
