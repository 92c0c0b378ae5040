"""Helpers for tests that run the service as real processes."""

import atexit
import functools
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests import dockerfiles

REPO_DIR = Path(__file__).resolve().parent.parent
APP_DIR = REPO_DIR / "app"
PYTHON = sys.executable
UVICORN = str(Path(sys.executable).with_name("uvicorn"))
ENTRYPOINT = str(REPO_DIR / "deploy" / "entrypoint.sh")


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


@functools.cache
def collected_static():
    """Run ``collectstatic`` once per test process, as the image build does;
    return (STATIC_ROOT, the manifest's name-to-hashed-name map)."""
    root = Path(tempfile.mkdtemp(prefix="staticfiles-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    result = manage("collectstatic", "--noinput", env=environment(STATIC_ROOT=str(root)))
    if result.returncode != 0:
        raise AssertionError(f"collectstatic failed:\n{result.stderr}")
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    return root, manifest


# The flags the image runs uvicorn with (besides --host and --port), read from
# the Dockerfile's CMD so that the tests run the server exactly as it does.
PRODUCTION_FLAGS = dockerfiles.production_flags()


def server_environment(settings_dict, **values):
    """The environment of a production server on the test database, reached
    over plain HTTP (so with the HTTPS redirect off, unless ``values`` say so)."""
    static_root, _ = collected_static()
    defaults = {
        "DEBUG": "false",
        "DATABASE_URL": database_url(settings_dict),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(static_root),
        "SECURE_SSL_REDIRECT": "false",
    }
    return environment(**{**defaults, **values})


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
    """GET ``url``; return (status, headers, body), raising on neither 4xx/5xx
    nor redirects (which are returned, not followed)."""
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect())
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class FormClient:
    """A cookie-keeping HTTP client that fills forms the way a browser does:
    it reads the CSRF token from the page and posts it back."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )

    def request(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def submit(self, path, data, headers=None):
        """GET the form page, then POST ``data`` with its CSRF token."""
        status, _, page = self.request(path, headers=headers)
        if status != 200:
            raise AssertionError(f"GET {path} answered {status}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request(path, {**data, "csrfmiddlewaretoken": token}, headers=headers)


def sign_up(url, username, password):
    """Sign up through the form, as a browser would; return (status, Location,
    the client's cookies as a Cookie header)."""
    client = FormClient(url)
    status, headers, _ = client.submit(
        "/accounts/signup/",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password1": password,
            "password2": password,
        },
    )
    cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
    return status, headers.get("Location"), cookie


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Server:
    """The real uvicorn process serving ``config.asgi:application``, started
    through the image's entry point with the image's flags."""

    def __init__(
        self, env, args=PRODUCTION_FLAGS, app="config.asgi:application", startup_timeout=30
    ):
        self.env = env
        self.args = list(args)
        self.app = app
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
                        ENTRYPOINT,
                        UVICORN,
                        self.app,
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
                    start_new_session=True,  # a Ctrl-C in the terminal goes to pytest only
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
