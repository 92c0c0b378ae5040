"""Helpers for tests that run the service as real processes."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
APP_DIR = REPO_DIR / "app"
PYTHON = sys.executable
UVICORN = str(Path(sys.executable).with_name("uvicorn"))


def environment(unset=(), **values):
    """This process's environment (the test values from pyproject.toml),
    changed by ``values`` and without the names in ``unset``."""
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(values)
    return env


def manage(*args, env=None, timeout=120):
    """Run ``manage.py`` in ``app/`` as its own process; return the result."""
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=APP_DIR,
        env=env if env is not None else environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def database_url(settings_dict):
    """A DATABASE_URL for the database Django is connected to (in tests, the
    test database), so a server process sees the tables the tests made."""
    user = settings_dict["USER"]
    password = settings_dict["PASSWORD"]
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url, headers=None, timeout=10):
    """GET ``url``; return (status, headers, body) without raising on 4xx/5xx."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Server:
    """The real uvicorn process serving ``config.asgi:application``."""

    def __init__(self, env, args=(), startup_timeout=30):
        self.env = env
        self.args = list(args)
        self.startup_timeout = startup_timeout
        self.process = None
        self.port = None
        self.log_path = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_path):
        self.log_path = Path(log_path)
        for _attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            with self.log_path.open("w") as log:
                self.process = subprocess.Popen(
                    [
                        UVICORN,
                        "config.asgi:application",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(self.port),
                        *self.args,
                    ],
                    cwd=APP_DIR,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_until_serving():
                return self
            if "address already in use" not in self.output().lower():
                break
        self.stop()
        raise AssertionError(f"uvicorn did not start; its output:\n{self.output()}")

    def _wait_until_serving(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.1)
        return False

    def output(self):
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
