"""The service's server: uvicorn, with the request limits of ``limits.protocol``.

    python -m server              (the image's CMD: UVICORN_HOST and UVICORN_PORT)
    python -m server --reload     (development)

uvicorn's command line can only choose among its own protocols, so this starts
uvicorn through its Python API (``uvicorn.run``), with the options the service
always runs with written once, here. The limits and the number of worker
processes come from the settings, which read and check the environment (see
"Request limits" in docs/production.md).
"""

import argparse
import os
import resource
import sys
from pathlib import Path

APP = "config.asgi:application"
PROTOCOL = "limits.protocol:LimitedHttpToolsProtocol"
APP_DIR = Path(__file__).resolve().parent.parent

# Seconds in-flight requests get to finish after SIGTERM; the Kubernetes grace
# period covers it (a test holds them together).
GRACEFUL_SHUTDOWN_SECONDS = 20
# Seconds an idle kept-alive connection stays open between requests.
KEEP_ALIVE_SECONDS = 5
# File descriptors a process needs besides its client connections: the
# database pools, the listening socket, logs, imported files.
RESERVED_FILES = 64
# What the development server watches besides Python files.
RELOAD_INCLUDES = ["*.html", "*.css", "*.txt"]


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", help="address to listen on (default: UVICORN_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (default: UVICORN_PORT)")
    parser.add_argument("--reload", action="store_true", help="restart on changes (development)")
    return parser.parse_args(argv)


def files_needed(settings):
    pool = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    return settings.WEB_MAX_CONNECTIONS + pool + RESERVED_FILES


def raise_open_files_limit(needed):
    """Raise this process's soft limit on open files to ``needed`` if the hard
    limit allows it; stop with one line if it does not. Worker processes
    inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            sys.exit(
                f"Configuration error: WEB_MAX_CONNECTIONS needs {needed} open files per "
                f"process, but the limit is {hard}: raise the limit (ulimit -n, or the "
                "container's nofile) or lower WEB_MAX_CONNECTIONS"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def uvicorn_options(settings, host, port, reload=False):
    options = {
        "host": host,
        "port": port,
        "http": PROTOCOL,
        # The client's address and scheme from X-Forwarded-For/-Proto, only
        # when the connection comes from a proxy in FORWARDED_ALLOW_IPS.
        "proxy_headers": True,
        "forwarded_allow_ips": ",".join(settings.FORWARDED_ALLOW_IPS),
        "access_log": False,  # RequestLogMiddleware writes it, with the request id
        "server_header": False,
        "lifespan": "on",  # closes the database pools on shutdown (server.lifespan)
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
    }
    if reload:
        options.update(reload=True, reload_dirs=[str(APP_DIR)], reload_includes=RELOAD_INCLUDES)
    else:
        options["workers"] = settings.WEB_CONCURRENCY
    return options


def main(argv=None):
    args = parse_arguments(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.env import exit_unless_servable, load_settings_or_exit

    load_settings_or_exit()
    exit_unless_servable()  # once, before any worker starts
    from django.conf import settings

    raise_open_files_limit(files_needed(settings))
    import uvicorn

    host = args.host or settings.UVICORN_HOST
    port = settings.UVICORN_PORT if args.port is None else args.port
    if not settings.METRICS_PORT:
        uvicorn.run(APP, **uvicorn_options(settings, host, port, reload=args.reload))
        return
    from metrics import exposition

    # Before the workers start: each writes its values in this directory, and
    # this process serves their sum on the port of its own.
    directory = exposition.prepare_multiprocess()
    try:
        exposition.serve(host, settings.METRICS_PORT)
        uvicorn.run(APP, **uvicorn_options(settings, host, port, reload=args.reload))
    finally:
        exposition.remove_multiprocess(directory)
