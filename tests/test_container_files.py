"""The Dockerfile and the compose files, checked without starting anything."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import SimpleTestCase

from tests import dockerfiles
from tests.support import REPO_DIR, environment

HADOLINT = Path(sys.executable).with_name("hadolint")


def docker_compose(*args, env=None):
    docker = shutil.which("docker")
    if docker is None:
        raise AssertionError(
            "No docker CLI on PATH: install Docker (with the compose plugin) to check the "
            "compose files; on a machine without registry access, run "
            "../shared/container-sandbox/up, which provides the CLI and an engine"
        )
    return subprocess.run(
        [docker, "compose", *args],
        cwd=REPO_DIR,
        env=env or environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class DockerfileTests(SimpleTestCase):
    def test_hadolint_finds_nothing_at_the_warning_threshold(self):
        result = subprocess.run(
            [str(HADOLINT), "--failure-threshold", "warning", "Dockerfile"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_it_builds_with_the_engines_own_frontend(self):
        text = dockerfiles.DOCKERFILE.read_text()
        self.assertNotRegex(text, r"(?m)^#\s*syntax=")
        self.assertNotIn("<<", text)

    def test_base_images_are_pinned_build_arguments(self):
        args = dockerfiles.dockerfile_args()
        self.assertRegex(args["PYTHON_IMAGE"], r"^python:\d+\.\d+[\w.-]*-slim")
        self.assertRegex(args["UV_IMAGE"], r"^ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+$")

    def test_the_runtime_runs_as_user_10001_without_uv(self):
        self.assertEqual(dockerfiles.stage_instructions("runtime", "USER"), ["10001:10001"])
        copies = " ".join(dockerfiles.stage_instructions("runtime", "COPY"))
        self.assertNotIn("/uv", copies)

    def test_the_dockerignore_keeps_out_history_environments_and_caches(self):
        ignored = (REPO_DIR / ".dockerignore").read_text().split()
        for entry in (".git", ".venv", ".env", ".env.*", "**/__pycache__", ".pytest_cache"):
            with self.subTest(entry):
                self.assertIn(entry, ignored)


class ComposeFileTests(SimpleTestCase):
    @pytest.mark.containers  # the docker CLI's compose plugin
    def test_the_dev_file_is_valid_with_no_env_file(self):
        result = docker_compose("-f", "compose.dev.yaml", "config", "-q")
        self.assertEqual(result.returncode, 0, result.stderr)

    @pytest.mark.containers  # the docker CLI's compose plugin
    def test_the_prod_file_is_valid_with_its_secrets(self):
        env = environment(SECRET_KEY="s" * 50, POSTGRES_PASSWORD="p")
        result = docker_compose("-f", "compose.prod.yaml", "config", "-q", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)

    @pytest.mark.containers  # the docker CLI's compose plugin
    def test_the_prod_file_refuses_to_start_without_its_secrets(self):
        env = environment(unset=["SECRET_KEY", "POSTGRES_PASSWORD"])
        result = docker_compose("-f", "compose.prod.yaml", "config", "-q", env=env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("set SECRET_KEY", result.stderr)
        self.assertIn("set POSTGRES_PASSWORD", result.stderr)

    def test_the_prod_web_service_is_locked_down(self):
        services = dockerfiles.compose("prod")["services"]
        web = services["web"]
        self.assertTrue(web["read_only"])
        self.assertEqual(web["tmpfs"], ["/tmp"])
        self.assertEqual(web["restart"], "unless-stopped")
        self.assertIn("volumes", {*services["db"]})
        self.assertNotIn("volumes", web)
        limits = web["deploy"]["resources"]["limits"]
        self.assertLessEqual({"cpus", "memory"}, set(limits))
        self.assertEqual(
            web["depends_on"]["migrate"], {"condition": "service_completed_successfully"}
        )
        self.assertEqual(services["migrate"]["command"][-2:], ["migrate_with_lock", "--noinput"])

    def assertLockedDown(self, service):
        """Read-only, no capabilities or privilege gain, restarted, limited."""
        self.assertTrue(service["read_only"])
        self.assertEqual(service["cap_drop"], ["ALL"])
        self.assertEqual(service["security_opt"], ["no-new-privileges:true"])
        self.assertEqual(service["restart"], "unless-stopped")
        self.assertLessEqual({"cpus", "memory"}, set(service["deploy"]["resources"]["limits"]))

    def test_the_proxy_and_the_backup_are_locked_down(self):
        services = dockerfiles.compose("prod")["services"]
        self.assertRegex(services["proxy"]["image"], r"^caddy:2\.\d+$")
        self.assertEqual(services["backup"]["image"], services["db"]["image"])
        for name in ("proxy", "backup"):
            service = services[name]
            with self.subTest(name):
                self.assertLockedDown(service)
                self.assertTrue(
                    all(
                        volume.endswith(":ro")
                        for volume in service["volumes"]
                        if volume.startswith("./")
                    )
                )
        self.assertEqual(services["proxy"].get("cap_add"), ["NET_BIND_SERVICE"])
        self.assertEqual(services["proxy"]["depends_on"]["web"], {"condition": "service_healthy"})

    def test_the_prod_worker_and_scheduler_are_locked_down_and_start_after_migrate(self):
        services = dockerfiles.compose("prod")["services"]
        for name, command in (
            ("worker", ["python", "manage.py", "worker"]),
            ("scheduler", ["python", "manage.py", "maintain", "--every", "3600"]),
        ):
            service = services[name]
            with self.subTest(name):
                self.assertEqual(service["command"], command)
                self.assertEqual(service["image"], services["web"]["image"])
                self.assertEqual(service["environment"], services["web"]["environment"])
                self.assertLockedDown(service)
                self.assertEqual(
                    service["depends_on"]["migrate"],
                    {"condition": "service_completed_successfully"},
                )
                self.assertNotIn("ports", service)

    def test_the_worker_is_probed_by_its_heartbeat_and_given_time_to_finish(self):
        for variant in ("dev", "prod"):
            worker = dockerfiles.compose(variant)["services"]["worker"]
            with self.subTest(variant):
                self.assertEqual(
                    worker["healthcheck"]["test"], ["CMD", "python", "-m", "worker.probe"]
                )
        worker = dockerfiles.compose("prod")["services"]["worker"]
        self.assertEqual(worker["tmpfs"], ["/tmp"])
        grace = int(worker["stop_grace_period"].removesuffix("s"))
        self.assertGreaterEqual(grace, settings.WORKER_SHUTDOWN_TIMEOUT + 5)

    def test_the_dev_worker_reloads_on_code_changes_like_web(self):
        services = dockerfiles.compose("dev")["services"]
        self.assertEqual(services["worker"]["command"][-2:], ["worker", "--reload"])
        for name in ("worker", "scheduler"):
            with self.subTest(name):
                self.assertEqual(services[name]["build"], services["web"]["build"])
                self.assertEqual(services[name]["volumes"], services["web"]["volumes"])

    def test_the_dev_web_service_mounts_the_source_and_waits_for_the_database(self):
        web = dockerfiles.compose("dev")["services"]["web"]
        self.assertEqual(web["build"]["target"], "dev")
        self.assertIn("./app:/srv/app", web["volumes"])
        self.assertEqual(web["depends_on"]["db"], {"condition": "service_healthy"})
