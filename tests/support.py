"""Helpers for tests that run the service as real processes."""

import atexit
import functools
import http.cookiejar
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg
from prometheus_client.parser import text_string_to_metric_families

from accounts.tests.factories import csrf_token_in
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


# The command the image runs (python -m server …), read from the
# Dockerfile's CMD so that the tests run the server exactly as it does.
PRODUCTION_COMMAND = dockerfiles.production_command()


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


class ScratchDatabase:
    """An empty database of a test's own on the tests' PostgreSQL server,
    dropped (with any connection left to it) when the test ends."""

    def __init__(self, testcase, prefix="test_scratch"):
        from django.db import connection

        settings_dict = connection.settings_dict
        self.name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.server_url = database_url({**settings_dict, "NAME": "postgres"})
        self.url = database_url({**settings_dict, "NAME": self.name})
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        testcase.addCleanup(self.drop)

    def drop(self):
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def connections_named(application_name, url):
    """How many connections with this application_name the PostgreSQL server
    at ``url`` (any of its databases) has now. Raises when it cannot tell."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            [application_name],
        ).fetchone()[0]


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


def scrape_metrics(port):
    """{(sample name, frozenset of labels): value} from ``/metrics`` on ``port``."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


class FormClient:
    """A cookie-keeping HTTP client that fills forms the way a browser does:
    it reads the CSRF token from the page and posts it back."""

    def __init__(self, base_url, context=None, timeout=10):
        self.base_url = base_url
        self.timeout = timeout  # seconds for each request
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies),
            urllib.request.HTTPSHandler(context=context),  # which CAs to trust
            NoRedirect(),
        )

    def request(self, path, data=None, headers=None):
        headers = dict(headers or {})
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            # A browser names the page's origin on every POST (over HTTPS,
            # Django's CSRF check requires it or a Referer).
            scheme, netloc = urllib.parse.urlsplit(self.base_url)[:2]
            headers.setdefault("Origin", f"{scheme}://{headers.get('Host', netloc)}")
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def submit(self, path, data, headers=None):
        """GET the form page, then POST ``data`` with its CSRF token."""
        status, _, page = self.request(path, headers=headers)
        if status != 200:
            raise AssertionError(f"GET {path} answered {status}")
        token = csrf_token_in(page)
        return self.request(path, {**data, "csrfmiddlewaretoken": token}, headers=headers)


def mark_verified(username):
    """Take the address of ``username`` (signed up through the server, in the
    test database) as verified, as following the mailed link would: for
    tests of what a verified account does, not of the verification."""
    from django.db.models.functions import Now

    from accounts.models import User

    if not User.objects.filter(username=username).update(email_verified_at=Now()):
        raise AssertionError(f"no user {username!r} to mark verified")


def sign_up(url, username, password, context=None, timeout=10):
    """Sign up through the form, as a browser would; return (status, Location,
    the client's cookies as a Cookie header)."""
    client = FormClient(url, context=context, timeout=timeout)
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
    """The real server process: by default the image's command
    (``python -m server``, serving ``config.asgi:application``), started
    through the image's entry point, on a free port of 127.0.0.1."""

    def __init__(self, env, command=PRODUCTION_COMMAND, startup_timeout=30, limits=None):
        self.env = env
        self.command = list(command)
        self.startup_timeout = startup_timeout
        self.limits = limits or {}  # resource.RLIMIT_* -> (soft, hard) for the process
        self.process = None
        self.port = None
        self.log_path = None

    def argv(self):
        """The command, run by this interpreter's environment, on our port."""
        executables = {"python": PYTHON, "uvicorn": UVICORN}
        argv = [executables.get(self.command[0], self.command[0]), *self.command[1:]]
        for flag, value in (("--host", "127.0.0.1"), ("--port", str(self.port))):
            if flag in argv:
                argv[argv.index(flag) + 1] = value
            else:
                argv += [flag, value]
        return [ENTRYPOINT, *argv]

    def set_limits(self):
        for limit, values in self.limits.items():
            resource.setrlimit(limit, values)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_path):
        self.log_path = Path(log_path)
        for _attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            with self.log_path.open("w") as log:
                self.process = subprocess.Popen(
                    self.argv(),
                    cwd=APP_DIR,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a Ctrl-C in the terminal goes to pytest only
                    preexec_fn=self.set_limits if self.limits else None,
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


class WorkerProcess:
    """The real worker process: ``python manage.py worker`` through the
    image's entry point, with its liveness file in ``workdir``."""

    def __init__(self, env, startup_timeout=30):
        self.env = dict(env)
        self.startup_timeout = startup_timeout
        self.process = None
        self.log_path = None

    def start(self, workdir):
        workdir = Path(workdir)
        self.log_path = workdir / "worker.log"
        self.heartbeat_file = workdir / "worker-heartbeat"
        self.env["WORKER_HEARTBEAT_FILE"] = str(self.heartbeat_file)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [ENTRYPOINT, PYTHON, "manage.py", "worker"],
                cwd=APP_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.startup_timeout
        while not self.heartbeat_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the worker did not start; its output:\n{self.output()}")
            time.sleep(0.05)
        return self

    def output(self):
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""

    def stop(self, timeout=30):
        """SIGTERM, then the exit status (killed past ``timeout``)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None


def wait_for_tasks(timeout=30):
    """Until no task is ready, waiting for a retry or running (in the test
    database, whose rows a worker process shares)."""
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS

    from worker.claims import unfinished as unfinished_tasks

    unfinished = unfinished_tasks(["*"], DEFAULT_TASK_BACKEND_ALIAS)
    deadline = time.monotonic() + timeout
    while unfinished.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"tasks still unfinished after {timeout} s: {list(unfinished)}")
        time.sleep(0.05)


class RawConnection:
    """A TCP connection to a server, for requests no HTTP library would send:
    a header that never ends, a body slower than a trickle, bytes that are not
    HTTP. Reads return what arrived before the server closed or the timeout."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.timeout = timeout

    def send(self, data):
        """Send ``data``; False when the server has closed the connection."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def response(self):
        """(status, headers with lower-case names, body) of what the server
        sent until it closed; status is None when it sent nothing."""
        data = b""
        try:
            while chunk := self.sock.recv(65536):
                data += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return parse_response(data)

    def is_closed_by_server(self, wait=0.05):
        """True when the server has closed its side (EOF or reset), reading
        and dropping whatever it sent before."""
        self.sock.settimeout(wait)
        try:
            while self.sock.recv(65536):
                pass
            return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(self.timeout)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parse_response(data):
    if not data:
        return None, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


# Cookies a browser keeps over plain HTTP (a server the tests reach as
# http://127.0.0.1 with the production settings would set HTTPS-only ones).
PLAIN_HTTP_COOKIES = {"SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false"}


def start_server(testcase, env, **server_options):
    """A real server with ``env``, for one test: stopped, and its log
    removed, when the test ends."""
    workdir = tempfile.TemporaryDirectory(prefix="server-")
    testcase.addCleanup(workdir.cleanup)
    server = Server(env, **server_options).start(Path(workdir.name) / "server.log")
    testcase.addCleanup(server.stop)
    return server


class LiveServerMixin:
    """One real server for a test class, on the test database.

    ``server_env`` adds or overrides variables (``server_variables()`` may
    compute them); ``server_env_unset`` gives the server the settings'
    defaults for those names; ``plain_http_cookies`` (the default) lets the
    cookies travel over plain HTTP; with ``collect_mail`` a real worker runs
    beside the server and writes each mail as a file in ``cls.mail_dir``,
    which ``delivered_mail()`` reads once every task is done.
    """

    server_env = {}
    server_env_unset = ()
    plain_http_cookies = True
    collect_mail = False

    @classmethod
    def server_variables(cls):
        return dict(cls.server_env)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._workdir = tempfile.TemporaryDirectory(prefix="live-server-")
        cls.workdir = Path(cls._workdir.name)
        values = dict(PLAIN_HTTP_COOKIES) if cls.plain_http_cookies else {}
        if cls.collect_mail:
            cls.mail_dir = cls.workdir / "mail"
            cls.mail_dir.mkdir()
            values["EMAIL_URL"] = f"filemail://{cls.mail_dir}"
        from django.db import connection

        env = server_environment(connection.settings_dict, **{**values, **cls.server_variables()})
        for name in cls.server_env_unset:
            env.pop(name, None)
        cls.server = Server(env).start(cls.workdir / "server.log")
        cls.worker = WorkerProcess(env).start(cls.workdir) if cls.collect_mail else None

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if cls.worker:
            cls.worker.stop()
        cls._workdir.cleanup()
        super().tearDownClass()

    def delivered_mail(self):
        """The text of each mail sent so far, oldest first, once the worker
        has run every task."""
        wait_for_tasks()
        sent = sorted(self.mail_dir.glob("*"), key=lambda path: path.stat().st_mtime)
        # A file holds the mails of one connection, each followed by a line of dashes.
        return [
            mail.strip("\n")
            for path in sent
            for mail in path.read_text().split("-" * 79)
            if mail.strip()
        ]
