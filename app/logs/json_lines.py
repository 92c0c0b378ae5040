"""Log records as one JSON object per line (or readable text), each carrying
the id of the request it belongs to.

The id lives in a context variable: set by ``RequestLogMiddleware`` on the
event loop, it is copied into the threads that run the sync parts of the
request, so every line logged while serving one request carries its id.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var = ContextVar("request_id", default="-")

# Attributes every LogRecord has; anything else on a record is an "extra".
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}
# Extras never written: Django's HttpRequest (its repr holds the query string)
# and uvicorn's coloured duplicate of the message.
_NEVER = {"request", "color_message"}


class RequestIdFilter(logging.Filter):
    """Give every record the current request id (``-`` outside a request)."""

    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, then the record's extras."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _NEVER and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def logging_config(log_format, level):
    """The ``LOGGING`` setting: everything to stdout, in ``log_format``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "logs.json_lines.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "logs.json_lines.JsonFormatter"},
            "console": {
                "format": "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s",
            },
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": log_format,
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Replace the handlers Django and uvicorn install for themselves.
            "django": {"handlers": ["stdout"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stdout"], "level": level, "propagate": False},
            # RequestLogMiddleware writes the access log, with the request id.
            "uvicorn.access": {"handlers": [], "propagate": False},
            # The worker writes each task's start, outcome and retries itself
            # (worker.runner), with the task's id and attempt as fields;
            # Django's lines would say it again, and report a failure to
            # Sentry twice.
            "django.tasks": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }
