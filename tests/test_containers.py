"""The image and both compose files, really built and started on a Docker engine.

Each stack runs as its own compose project, from a copy of the repository (so
that the dev test can edit a template), on a free port of 127.0.0.1. Without a
Docker engine these tests fail and say so: see the README's "Tests".
"""

import json
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from django.test import SimpleTestCase

from tests import support
from tests.support import REPO_DIR, FormClient, RawConnection, environment, free_port

PASSWORD = "a-long-unusual-passphrase"
COPIED = [
    "app",
    "deploy",
    "Dockerfile",
    ".dockerignore",
    "pyproject.toml",
    "uv.lock",
    "compose.dev.yaml",
    "compose.prod.yaml",
]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "staticfiles")


def require_docker_engine():
    docker = shutil.which("docker")
    problem = None
    if docker is None:
        problem = "there is no docker CLI on PATH"
    else:
        result = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            problem = f"`docker info` failed: {result.stderr.strip()}"
    if problem:
        raise AssertionError(
            f"The container tests need a Docker engine, and {problem}. Start Docker; on a "
            "machine that reaches no container registry, run ../shared/container-sandbox/up "
            "and export what it prints (see the README's Tests section)."
        )


class Stack:
    """One compose project: ``docker compose -p NAME -f FILE`` in a copy of the repo."""

    def __init__(self, compose_file, env):
        self.workdir = Path(tempfile.mkdtemp(prefix="stack-"))
        for name in COPIED:
            source = REPO_DIR / name
            if source.is_dir():
                shutil.copytree(source, self.workdir / name, ignore=IGNORED)
            else:
                shutil.copy2(source, self.workdir / name)
        self.project = f"djangoship-test-{uuid.uuid4().hex[:8]}"
        self.compose_file = compose_file
        self.port = free_port()
        # The production image gets a tag of its own, not the developer's.
        self.env = environment(WEB_PORT=str(self.port), IMAGE_TAG=self.project, **env)
        self.url = f"http://127.0.0.1:{self.port}"

    def compose(self, *args, timeout=600, check=True):
        result = subprocess.run(
            ["docker", "compose", "-p", self.project, "-f", self.compose_file, *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker compose {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}\n"
                f"{self.compose('logs', '--no-color', check=False).stdout[-4000:]}"
            )
        return result

    def up(self):
        self.compose("up", "--detach", "--build", "--wait", "--wait-timeout", "180")
        return self.first_answer()

    def first_answer(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _, _ = FormClient(self.url).request("/")
            if status == 200:
                return status
            time.sleep(0.25)
        return status

    def down(self, volumes=False):
        self.compose("down", *(["--volumes"] if volumes else []), "--timeout", "30")

    def remove(self):
        self.compose("down", "--volumes", "--rmi", "local", "--timeout", "30", check=False)
        subprocess.run(
            ["docker", "rmi", f"djangoship:{self.project}"], capture_output=True, check=False
        )
        shutil.rmtree(self.workdir, ignore_errors=True)

    def service_container(self, service):
        return self.compose("ps", "--all", "--quiet", service).stdout.strip()

    def inspect(self, service):
        container = self.service_container(service)
        result = subprocess.run(
            ["docker", "inspect", container], capture_output=True, text=True, check=True
        )
        return json.loads(result.stdout)[0]


def sign_up(url, username):
    status, location, _ = support.sign_up(url, username, PASSWORD)
    return status, location


def log_in(url, username):
    status, headers, _ = FormClient(url).submit(
        "/accounts/login/", {"username": f"{username}@example.com", "password": PASSWORD}
    )
    return status, headers.get("Location")


class StackTestsMixin:
    """What both stacks must do: serve, sign up, log in, keep data over down/up."""

    compose_file = None
    stack_env = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        require_docker_engine()
        cls.stack = Stack(cls.compose_file, cls.stack_env)
        try:
            cls.stack.up()
        except BaseException:
            cls.stack.remove()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stack.remove()
        super().tearDownClass()

    def test_signup_login_and_data_that_survives_down_and_up(self):
        status, _, _ = FormClient(self.stack.url).request("/")
        self.assertEqual(status, 200)
        self.assertEqual(sign_up(self.stack.url, "grace"), (302, "/accounts/profile/"))
        self.assertEqual(log_in(self.stack.url, "grace"), (302, "/accounts/profile/"))

        self.stack.down()
        self.assertEqual(self.stack.up(), 200)
        self.assertEqual(log_in(self.stack.url, "grace"), (302, "/accounts/profile/"))

    def test_the_server_runs_with_its_request_limits_and_room_for_its_connections(self):
        with RawConnection(self.stack.port) as raw:
            raw.send(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 300000000\r\n\r\n")
            self.assertEqual(raw.response()[0], 413)
        limits = self.stack.compose("exec", "-T", "web", "cat", "/proc/1/limits").stdout
        (soft,) = re.findall(r"Max open files\s+(\d+)", limits)
        self.assertGreaterEqual(int(soft), 1000 + 64, limits)


class DevStackTests(StackTestsMixin, SimpleTestCase):
    compose_file = "compose.dev.yaml"

    def test_a_template_edit_on_the_host_shows_without_a_rebuild(self):
        marker = f"edited-{uuid.uuid4().hex[:8]}"
        template = self.stack.workdir / "app" / "templates" / "pages" / "about.html"
        template.write_text(template.read_text().replace("<h1>About</h1>", f"<h1>{marker}</h1>"))
        deadline = time.monotonic() + 60
        body = ""
        while time.monotonic() < deadline and marker not in body:
            time.sleep(0.5)
            _, _, body = FormClient(self.stack.url).request("/about/")
        self.assertIn(marker, body)


class ProdStackTests(StackTestsMixin, SimpleTestCase):
    compose_file = "compose.prod.yaml"
    # Secrets as an operator would set them; plain HTTP on 127.0.0.1 needs the
    # HTTPS-only safeguards off (a TLS proxy in front keeps them on).
    stack_env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "GIT_REVISION": "test-revision",
    }

    def exec_web(self, *command):
        return self.stack.compose("exec", "-T", "web", *command, check=False)

    def test_the_web_container_runs_as_uid_10001(self):
        self.assertEqual(self.exec_web("id", "-u").stdout.strip(), "10001")
        self.assertEqual(self.stack.inspect("web")["Config"]["User"], "10001:10001")

    def test_the_root_filesystem_is_read_only_but_tmp_is_writable(self):
        self.assertTrue(self.stack.inspect("web")["HostConfig"]["ReadonlyRootfs"])
        refused = self.exec_web("sh", "-c", "touch /srv/app/x")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("Read-only file system", refused.stderr)
        self.assertEqual(self.exec_web("sh", "-c", "touch /tmp/x").returncode, 0)

    def test_migrations_were_applied_by_the_migrate_service(self):
        migrate = self.stack.inspect("migrate")
        self.assertEqual(migrate["State"]["Status"], "exited")
        self.assertEqual(migrate["State"]["ExitCode"], 0)
        logs = self.stack.compose("logs", "--no-color", "migrate").stdout
        self.assertIn("Applying accounts.0001_initial... OK", logs)
        web_logs = self.stack.compose("logs", "--no-color", "web").stdout
        self.assertNotIn("Applying", web_logs)

    def test_the_image_reports_its_revision_to_sentry(self):
        env = self.stack.inspect("web")["Config"]["Env"]
        self.assertIn("SENTRY_RELEASE=test-revision", env)
