"""The image and both compose files, really built and started on a Docker engine.

Each stack runs as its own compose project, from a copy of the repository (so
that the dev test can edit a template), on a free port of 127.0.0.1. Without a
Docker engine these tests fail and say so: see "Tests" in docs/ci.md.
"""

import email
import email.policy
import http.client
import json
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.test import SimpleTestCase
from prometheus_client.parser import text_string_to_metric_families

from accounts.tests.factories import PASSWORD, signup_form
from tests import support
from tests.support import REPO_DIR, FormClient, RawConnection, environment, free_port

pytestmark = pytest.mark.containers

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
# Where Caddy keeps its local CA's root certificate (in the caddy-data volume).
CADDY_ROOT_CERTIFICATE = "/data/caddy/pki/authorities/local/root.crt"


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
            "and export what it prints (see docs/ci.md)."
        )


class Stack:
    """One compose project: ``docker compose -p NAME -f FILE`` in a copy of
    the repo, with each published port (``port_variables``) on a free one."""

    def __init__(self, compose_file, env, port_variables):
        self.workdir = Path(tempfile.mkdtemp(prefix="stack-"))
        for name in COPIED:
            source = REPO_DIR / name
            if source.is_dir():
                shutil.copytree(source, self.workdir / name, ignore=IGNORED)
            else:
                shutil.copy2(source, self.workdir / name)
        self.project = f"djangoship-test-{uuid.uuid4().hex[:8]}"
        self.compose_file = compose_file
        self.ports = {name: free_port() for name in port_variables}
        # The production image gets a tag of its own, not the developer's.
        self.env = environment(
            IMAGE_TAG=self.project, **{k: str(v) for k, v in self.ports.items()}, **env
        )
        self.url = None
        self.tls = None  # the SSL context that trusts the stack's certificate

    def client(self):
        return FormClient(self.url, context=self.tls)

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

    def up(self, *services):
        self.compose("up", "--detach", "--build", "--wait", "--wait-timeout", "180", *services)
        return self.first_answer()

    def first_answer(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _, _ = self.client().request("/")
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

    def logs(self, service):
        return self.compose("logs", "--no-color", "--no-log-prefix", service).stdout

    def json_logs(self, service):
        lines = []
        for line in self.logs(service).splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines


def sign_up(stack, username):
    status, location, _ = support.sign_up(stack.url, username, PASSWORD, context=stack.tls)
    return status, location


def log_in(stack, username):
    status, headers, _ = stack.client().submit(
        "/accounts/login/", {"username": f"{username}@example.com", "password": PASSWORD}
    )
    return status, headers.get("Location")


class StackTestsMixin:
    """What both stacks must do: serve, sign up, log in, keep data over down/up."""

    compose_file = None
    stack_env = {}
    port_variables = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        require_docker_engine()
        cls.stack = Stack(cls.compose_file, cls.stack_env, cls.port_variables)
        try:
            cls.start(cls.stack)
        except BaseException:
            cls.stack.remove()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stack.remove()
        super().tearDownClass()

    def test_signup_login_and_data_that_survives_down_and_up(self):
        status, _, _ = self.stack.client().request("/")
        self.assertEqual(status, 200)
        self.assertEqual(sign_up(self.stack, "grace"), (302, "/accounts/profile/"))
        self.assertEqual(log_in(self.stack, "grace"), (302, "/accounts/profile/"))

        self.stack.down()
        self.assertEqual(self.stack.up(), 200)
        self.assertEqual(log_in(self.stack, "grace"), (302, "/accounts/profile/"))

    def worker_mail(self, subject, to):
        """The text of the newest mail with this subject to this address, once
        the worker has printed it to its log (the console backend: each
        message, then a line of 79 dashes)."""
        deadline = time.monotonic() + 60
        while True:
            log = self.stack.logs("worker").replace("\r\n", "\n")
            for chunk in reversed(log.split("-" * 79)):
                start = chunk.find("Content-Type:")
                if start < 0:
                    continue
                message = email.message_from_string(chunk[start:], policy=email.policy.default)
                if re.fullmatch(subject, message["Subject"] or "") and message["To"] == to:
                    return message.get_content()
            self.assertLess(time.monotonic(), deadline, log[-3000:])
            time.sleep(0.5)

    def test_signup_mails_a_link_that_verifies_then_a_reset_mail_leaves_through_the_worker(self):
        client = self.stack.client()
        status, headers, _ = client.submit("/accounts/signup/", signup_form("mary"))
        self.assertEqual((status, headers.get("Location")), (302, "/accounts/profile/"))
        mail = self.worker_mail("Verify your email address for Djangoship", "mary@example.com")
        (path,) = set(re.findall(r"https?://[^/\s]+(/accounts/email/verify/\S+/)", mail))
        status, headers, _ = client.submit(path, {})
        self.assertEqual((status, headers.get("Location")), (302, "/accounts/profile/"))
        self.assertEqual(client.request("/accounts/profile/")[0], 200)

        status, headers, _ = self.stack.client().submit(
            "/accounts/password_reset/", {"email": "mary@example.com"}
        )
        self.assertEqual((status, headers.get("Location")), (302, "/accounts/password_reset/done/"))
        mail = self.worker_mail("Reset your password on .*", "mary@example.com")
        self.assertIn("/accounts/reset/", mail)
        self.assertNotIn("To: mary@example.com", self.stack.logs("web"))

    def test_the_metrics_answer_on_the_internal_network_and_not_through_the_front(self):
        scrape = (
            "import urllib.request; print(urllib.request.urlopen("
            "'http://web:9464/metrics', timeout=10).read().decode())"
        )
        self.stack.client().request("/")
        text = self.stack.compose("exec", "-T", "worker", "python", "-c", scrape).stdout
        home = [
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "http_requests_total"
            and sample.labels == {"route": "home", "method": "GET", "status": "200"}
        ]
        self.assertEqual(len(home), 1, text)
        self.assertGreaterEqual(home[0], 1)
        status, _, _ = self.stack.client().request("/metrics")
        self.assertEqual(status, 404)

    def test_the_scheduler_has_run_the_maintenance(self):
        deadline = time.monotonic() + 60
        while "heartbeats of dead workers pruned" not in (logs := self.stack.logs("scheduler")):
            self.assertLess(time.monotonic(), deadline, logs[-3000:])
            time.sleep(0.5)

    def test_the_server_has_room_for_its_connections(self):
        limits = self.stack.compose("exec", "-T", "web", "cat", "/proc/1/limits").stdout
        (soft,) = re.findall(r"Max open files\s+(\d+)", limits)
        self.assertGreaterEqual(int(soft), 1000 + 64, limits)


class DevStackTests(StackTestsMixin, SimpleTestCase):
    compose_file = "compose.dev.yaml"
    port_variables = ("WEB_PORT",)

    @classmethod
    def start(cls, stack):
        stack.url = f"http://127.0.0.1:{stack.ports['WEB_PORT']}"
        stack.up()

    def test_the_server_runs_with_its_request_limits(self):
        with RawConnection(self.stack.ports["WEB_PORT"]) as raw:
            raw.send(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 300000000\r\n\r\n")
            self.assertEqual(raw.response()[0], 413)

    def test_a_template_edit_on_the_host_shows_without_a_rebuild(self):
        marker = f"edited-{uuid.uuid4().hex[:8]}"
        template = self.stack.workdir / "app" / "templates" / "pages" / "about.html"
        template.write_text(template.read_text().replace("<h1>About</h1>", f"<h1>{marker}</h1>"))
        deadline = time.monotonic() + 60
        body = ""
        while time.monotonic() < deadline and marker not in body:
            time.sleep(0.5)
            _, _, body = self.stack.client().request("/about/")
        self.assertIn(marker, body)


class ProdStackTests(StackTestsMixin, SimpleTestCase):
    """compose.prod.yaml as an operator runs it: behind its TLS proxy on
    Caddy's local CA, with every safeguard of the settings on."""

    compose_file = "compose.prod.yaml"
    port_variables = ("HTTP_PORT", "HTTPS_PORT")
    stack_env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "GIT_REVISION": "test-revision",
        # Short, so that the slow client is dropped within the test.
        "REQUEST_HEADER_TIMEOUT": "2",
        # An edge network of its own, beside any other stack on the engine.
        "EDGE_PREFIX": f"172.30.{128 + secrets.randbelow(122)}",
    }

    @classmethod
    def start(cls, stack):
        stack.url = f"https://localhost:{stack.ports['HTTPS_PORT']}"
        stack.compose("up", "--detach", "--build", "--wait", "--wait-timeout", "180")
        root = stack.workdir / "caddy-root.crt"
        stack.compose("cp", f"proxy:{CADDY_ROOT_CERTIFICATE}", str(root))
        stack.tls = ssl.create_default_context(cafile=str(root))
        assert stack.first_answer() == 200, stack.compose("logs", "--no-color").stdout[-3000:]

    def https(self):
        return http.client.HTTPSConnection(
            "localhost", self.stack.ports["HTTPS_PORT"], context=self.stack.tls, timeout=10
        )

    def test_https_on_the_local_ca_with_the_safeguards_on(self):
        status, headers, _ = self.stack.client().request("/accounts/login/")
        self.assertEqual(status, 200)
        self.assertEqual(
            headers["Strict-Transport-Security"], "max-age=31536000; includeSubDomains"
        )
        self.assertNotIn("Server", headers)
        (cookie,) = [c for c in headers.get_all("Set-Cookie") if c.startswith("csrftoken=")]
        self.assertIn("Secure", cookie)
        web = {e.split("=", 1)[0] for e in self.stack.inspect("web")["Config"]["Env"]}
        for switch in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
            self.assertNotIn(switch, web, "a safeguard is turned off")

    def test_plain_http_is_redirected_to_https_on_the_published_port(self):
        http_port, https_port = self.stack.ports["HTTP_PORT"], self.stack.ports["HTTPS_PORT"]
        status, headers, _ = support.get(f"http://localhost:{http_port}/about/?x=1")
        self.assertEqual(status, 308)
        self.assertEqual(headers["Location"], f"https://localhost:{https_port}/about/?x=1")

    def test_web_publishes_no_port_on_the_host(self):
        ports = self.stack.inspect("web")["NetworkSettings"]["Ports"] or {}
        self.assertEqual([binding for binding in ports.values() if binding], [])

    def test_a_body_over_the_limit_is_refused_by_the_proxy(self):
        connection = self.https()
        connection.putrequest("POST", "/accounts/login/")
        connection.putheader("Content-Length", "300000000")
        connection.endheaders()
        response = connection.getresponse()
        self.assertEqual(response.status, 413)
        self.assertIsNone(response.getheader("X-Request-ID"), "the app saw the request")
        connection.close()

        connection = self.https()
        connection.request(
            "POST", "/accounts/login/", body=iter([b"x" * 65536] * 40), encode_chunked=True
        )
        self.assertEqual(connection.getresponse().status, 413)
        connection.close()

    def test_a_slow_client_is_dropped(self):
        raw = self.stack.tls.wrap_socket(
            socket.create_connection(("127.0.0.1", self.stack.ports["HTTPS_PORT"]), timeout=10),
            server_hostname="localhost",
        )
        with raw:
            raw.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")  # and never the rest
            started = time.monotonic()
            try:
                while raw.recv(65536):
                    pass
            except ConnectionResetError:
                pass
            waited = time.monotonic() - started
        # REQUEST_HEADER_TIMEOUT is 2 s here.
        self.assertGreater(waited, 1.5)
        self.assertLess(waited, 9, "the connection was not dropped at the header timeout")

    def test_the_app_sees_the_address_the_proxy_saw_never_a_forged_one(self):
        request_id = f"edge-{uuid.uuid4().hex[:12]}"
        connection = self.https()
        connection.request(
            "GET", "/about/", headers={"X-Forwarded-For": "203.0.113.7", "X-Request-ID": request_id}
        )
        self.assertEqual(connection.getresponse().status, 200)
        connection.close()
        deadline = time.monotonic() + 10
        seen = []
        while time.monotonic() < deadline and not seen:
            seen = [e for e in self.stack.json_logs("web") if e.get("request_id") == request_id]
            time.sleep(0.2)
        (access,) = [e for e in seen if e["logger"] == "logs.access"]
        (proxied,) = [
            e
            for e in self.stack.json_logs("proxy")
            if e.get("logger") == "http.log.access"
            and request_id in e["request"]["headers"].get("X-Request-Id", [])
        ]
        self.assertEqual(access["client"], proxied["request"]["remote_ip"])
        proxy_address = self.stack.inspect("proxy")["NetworkSettings"]["Networks"]
        self.assertNotIn(
            access["client"], {"203.0.113.7", *(n["IPAddress"] for n in proxy_address.values())}
        )

    def test_static_files_keep_their_far_future_headers_through_the_proxy(self):
        _, _, page = self.stack.client().request("/")
        (stylesheet,) = re.findall(r'href="(/static/[^"]+\.css)"', page)
        status, headers, _ = self.stack.client().request(stylesheet)
        self.assertEqual(status, 200)
        self.assertIn("max-age=315360000", headers["Cache-Control"])
        self.assertIn("immutable", headers["Cache-Control"])

    def test_a_backup_restores_the_users_into_a_new_database(self):
        for name in ("ada", "lin"):
            self.assertEqual(sign_up(self.stack, name), (302, "/accounts/profile/"))
        self.stack.compose("run", "--rm", "backup", "once")
        self.stack.compose("stop")
        self.stack.compose("rm", "--force", "db")
        subprocess.run(
            ["docker", "volume", "rm", f"{self.stack.project}_db-data"],
            capture_output=True,
            text=True,
            check=True,
        )
        self.stack.compose("up", "--detach", "--wait", "db")
        restored = self.stack.compose("run", "--rm", "backup", "restore", "latest")
        self.assertIn('"message": "backup restored"', restored.stdout)
        self.stack.compose("up", "--detach", "--wait", "--wait-timeout", "180")
        self.assertEqual(self.stack.first_answer(), 200)
        for name in ("ada", "lin"):
            with self.subTest(name):
                self.assertEqual(log_in(self.stack, name), (302, "/accounts/profile/"))

    def exec_web(self, *command):
        return self.stack.compose("exec", "-T", "web", *command, check=False)

    def test_the_web_container_runs_as_uid_10001(self):
        self.assertEqual(self.exec_web("id", "-u").stdout.strip(), "10001")
        self.assertEqual(self.stack.inspect("web")["Config"]["User"], "10001:10001")

    def test_the_worker_runs_the_same_image_read_only_and_passes_its_probe(self):
        worker = self.stack.inspect("worker")
        self.assertEqual(worker["Image"], self.stack.inspect("web")["Image"])
        self.assertTrue(worker["HostConfig"]["ReadonlyRootfs"])
        self.assertEqual(worker["State"]["Health"]["Status"], "healthy")
        probe = self.stack.compose("exec", "-T", "worker", "python", "-m", "worker.probe")
        self.assertEqual(probe.returncode, 0, probe.stderr)

    def test_the_worker_stops_cleanly(self):
        self.stack.compose("stop", "worker")
        worker = self.stack.inspect("worker")
        self.assertEqual(worker["State"]["ExitCode"], 0, self.stack.logs("worker")[-3000:])
        self.assertIn('"message": "worker stopped"', self.stack.logs("worker"))
        self.stack.compose("start", "worker")

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
