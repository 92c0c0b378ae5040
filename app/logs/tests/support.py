"""What the logs' tests share: the lines the service writes, captured."""

import io
import json
import logging

from logs.json_lines import JsonFormatter, RequestIdFilter


class JsonLines:
    """Capture what the root logger writes, formatted as in production."""

    def __enter__(self):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())
        self.handler.addFilter(RequestIdFilter())
        for name in ("", "django"):  # django does not propagate to the root
            logging.getLogger(name).addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        for name in ("", "django"):  # django does not propagate to the root
            logging.getLogger(name).removeHandler(self.handler)

    @property
    def lines(self):
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]
