"""The GitHub Actions workflow cannot run here, so its files are checked: the
linters, the schema, least privilege, pinning, and parity with the rest."""

import re
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings
from django.test import SimpleTestCase

from tests import dockerfiles
from tests.support import REPO_DIR
from tests.test_readme import readme_test_command

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((REPO_DIR / ".github" / "workflows").glob("*.yml"))
CI = REPO_DIR / ".github" / "workflows" / "ci.yml"


def workflow():
    # PyYAML reads the key "on" as True; the workflow schema test reads it right.
    return yaml.safe_load(CI.read_text())


def steps(job):
    return workflow()["jobs"][job]["steps"]


def make_dry_run(task):
    """What ``make TASK`` would run, printed by make itself."""
    result = run("make", "--no-print-directory", "--dry-run", task)
    assert result.returncode == 0, result.stderr
    return result.stdout


def run(*command):
    return subprocess.run(command, cwd=REPO_DIR, capture_output=True, text=True, check=False)


class LintTests(SimpleTestCase):
    def test_actionlint_finds_nothing(self):
        result = run(str(BIN / "actionlint"), *map(str, WORKFLOWS))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_workflows_match_the_github_workflow_schema(self):
        result = run(
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_dependabot_config_matches_its_schema_and_covers_uv_docker_and_actions(self):
        path = REPO_DIR / ".github" / "dependabot.yml"
        result = run(
            str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(path)
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        ecosystems = {u["package-ecosystem"] for u in yaml.safe_load(path.read_text())["updates"]}
        self.assertLessEqual({"uv", "docker", "github-actions"}, ecosystems)


class LeastPrivilegeTests(SimpleTestCase):
    def test_it_runs_on_every_push_and_pull_request(self):
        self.assertEqual(set(workflow()[True]), {"push", "pull_request"})

    def test_the_token_can_only_read_except_where_the_image_is_pushed(self):
        self.assertEqual(workflow()["permissions"], {"contents": "read"})
        for name, job in workflow()["jobs"].items():
            with self.subTest(name):
                expected = {"contents": "read", "packages": "write"} if name == "image" else None
                self.assertEqual(job.get("permissions"), expected)

    def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version(self):
        uses = re.findall(r"uses: (\S+)(.*)", CI.read_text())
        self.assertTrue(uses)
        for action, comment in uses:
            with self.subTest(action):
                self.assertRegex(action, r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
                self.assertRegex(comment, r"^ # v\d+\.\d+\.\d+$")

    def test_superseded_runs_are_cancelled(self):
        concurrency = workflow()["concurrency"]
        self.assertIn("github.ref", concurrency["group"])
        self.assertIs(concurrency["cancel-in-progress"], True)

    def test_every_job_has_a_timeout(self):
        for name, job in workflow()["jobs"].items():
            with self.subTest(name):
                self.assertGreater(job["timeout-minutes"], 0)

    def test_checkouts_keep_no_credentials(self):
        for name, job in workflow()["jobs"].items():
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    with self.subTest(name):
                        self.assertIs(step["with"]["persist-credentials"], False)


class PipelineTests(SimpleTestCase):
    def test_lint_runs_ruff_hadolint_the_workflow_linter_and_the_lock_check(self):
        commands = "\n".join(step.get("run", "") for step in steps("lint"))
        self.assertIn("make lint", commands.splitlines())
        commands += "\n" + make_dry_run("lint")
        for command in (
            "uv lock --check",
            "ruff check",
            "ruff format --check",
            "hadolint",
            "actionlint",
            "check-jsonschema",
        ):
            with self.subTest(command):
                self.assertIn(command, commands)

    def test_the_test_job_runs_the_readme_test_command_and_the_django_checks(self):
        commands = [step.get("run", "") for step in steps("test")]
        self.assertIn(readme_test_command(), commands)
        self.assertIn("uv sync --locked", commands)
        joined = "\n".join(commands)
        self.assertIn("check --deploy --fail-level WARNING", joined)
        self.assertIn("makemigrations --check", joined)

    def test_the_test_task_runs_the_whole_suite_with_coverage(self):
        self.assertEqual(make_dry_run("test").strip(), "uv run pytest --cov")
        self.assertEqual(make_dry_run("test-fast").strip(), "uv run pytest -m fast -n 2")

    def test_the_test_job_runs_the_suite_on_both_handlers(self):
        job = workflow()["jobs"]["test"]
        self.assertEqual(job["strategy"]["matrix"]["asgi-handler"], list(settings.ASGI_HANDLERS))
        self.assertEqual(job["env"]["ASGI_HANDLER"], "${{ matrix.asgi-handler }}")

    def test_the_jobs_that_validate_the_manifests_install_the_gateway_api_schemas_first(self):
        install = "npm ci --prefix tests/k8s-schemas"
        for job in ("test", "manifests"):
            with self.subTest(job):
                commands = [step.get("run", "") for step in steps(job)]
                installed = [n for n, command in enumerate(commands) if install in command]
                tested = [
                    n
                    for n, command in enumerate(commands)
                    if "pytest" in command or "make test" in command
                ]
                self.assertTrue(installed and tested and installed[0] < tested[0], commands)

    def test_the_postgres_service_is_the_compose_image_with_a_health_check(self):
        service = workflow()["jobs"]["test"]["services"]["postgres"]
        self.assertEqual(service["image"], dockerfiles.compose("dev")["services"]["db"]["image"])
        self.assertIn("--health-cmd", service["options"])

    def test_the_python_version_is_python_versions(self):
        python = (REPO_DIR / ".python-version").read_text().strip()
        self.assertEqual(workflow()["env"]["PYTHON_VERSION"], python)
        for name, job in workflow()["jobs"].items():
            for step in job["steps"]:
                if step.get("uses", "").startswith("astral-sh/setup-uv@"):
                    with self.subTest(name):
                        self.assertEqual(
                            step["with"]["python-version"], "${{ env.PYTHON_VERSION }}"
                        )
                        self.assertEqual(step["with"]["cache-dependency-glob"], "uv.lock")

    def test_the_uv_version_is_the_one_ci_installs_here(self):
        ci_run = (REPO_DIR / ".ci" / "run").read_text()
        self.assertIn(f"UV_VERSION={workflow()['env']['UV_VERSION']}", ci_run)
        self.assertIn(
            f"uv:{workflow()['env']['UV_VERSION']}", dockerfiles.dockerfile_args()["UV_IMAGE"]
        )

    def test_the_image_is_pushed_from_main_only_tagged_with_the_sha(self):
        (build,) = [s for s in steps("image") if s.get("uses", "").startswith("docker/build-push")]
        options = build["with"]
        self.assertEqual(
            options["push"], "${{ github.event_name == 'push' && github.ref == 'refs/heads/main' }}"
        )
        self.assertIn("${{ env.IMAGE }}:${{ github.sha }}", options["tags"])
        self.assertIn("GIT_REVISION=${{ github.sha }}", options["build-args"])
        self.assertEqual(options["cache-from"], "type=gha")
        self.assertEqual(options["target"], "runtime")

    def test_the_image_goes_to_the_registry_the_manifests_pull_from(self):
        image_step = "\n".join(step.get("run", "") for step in steps("image"))
        self.assertIn("IMAGE=ghcr.io/", image_step)
        kustomization = yaml.safe_load((REPO_DIR / "k8s/base/kustomization.yaml").read_text())
        (image,) = kustomization["images"]
        self.assertTrue(image["newName"].startswith("ghcr.io/"))

    def test_the_browser_test_uses_the_runners_browser(self):
        self.assertTrue(workflow()["jobs"]["test"]["env"]["CHROMIUM_EXECUTABLE"])
