"""The benchmarks' quick modes: every scenario answers, under load, without
errors, on our server and its baselines (bench/run.py); the overload curve
is measured on both servers (bench/overload.py); every task runs exactly
once on both workers (bench/tasks.py)."""

import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.test import SimpleTestCase

from tests.support import PYTHON, REPO_DIR, free_port

pytestmark = pytest.mark.bench


def quick_report(test, script, timeout):
    """Run ``bench/<script> --quick``; the report it wrote, once it exits 0."""
    with tempfile.TemporaryDirectory() as workdir:
        report_path = Path(workdir) / "report.json"
        result = subprocess.run(
            [PYTHON, f"bench/{script}", "--quick", "--json", str(report_path)],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        test.assertEqual(result.returncode, 0, result.stdout[-3000:] + result.stderr[-3000:])
        report = json.loads(report_path.read_text())
    test.assertEqual(report["mode"], "quick")
    return report


class QuickBenchmarkTests(SimpleTestCase):
    def test_every_scenario_answers_under_load_without_errors(self):
        report = quick_report(self, "run.py", timeout=600)
        self.assertEqual(
            [row["scenario"] for row in report["scenarios"]],
            [
                "home, anonymous",
                "about, anonymous",
                "login page (CSRF)",
                "home, logged in",
                "/readyz (database)",
                "static file (hashed)",
            ],
        )
        for row in report["scenarios"]:
            with self.subTest(row["scenario"]):
                for server in ("ours", "django_handler", "unguarded", "gunicorn"):
                    self.assertEqual(row[server]["errors"], 0)
                    # At the quick run's light load, nothing is refused either.
                    self.assertEqual(row[server]["refused"], 0)
                    self.assertGreater(row[server]["requests"], 0)
                self.assertGreater(row["ratio_to_django_handler"], 0)


class QuickOverloadBenchmarkTests(SimpleTestCase):
    """bench/overload.py --quick: the curve's harness drives both servers at
    each concurrency, with the probe beside the load."""

    def test_each_point_of_the_curve_is_measured_on_both_servers(self):
        report = quick_report(self, "overload.py", timeout=300)
        self.assertEqual(sorted(report["curves"]), ["gunicorn", "ours"])
        for server, points in report["curves"].items():
            self.assertEqual([point["connections"] for point in points], [8, 32], server)
            for point in points:
                with self.subTest(server=server, connections=point["connections"]):
                    self.assertGreater(point["goodput"], 0)
                    self.assertLessEqual(point["goodput"], point["requests_per_second"])
                    self.assertGreater(point["probe_requests"], 0)
                    self.assertIsNotNone(point["probe_served_p99_ms"])


class QuickTaskBenchmarkTests(SimpleTestCase):
    """bench/tasks.py --quick: our worker and the Celery baseline each run
    both tasks, steady and drained, every task exactly once."""

    def test_every_task_runs_exactly_once_on_our_worker_and_on_celery(self):
        report = quick_report(self, "tasks.py", timeout=300)
        self.assertEqual(sorted(report["systems"]), ["celery", "ours"])
        for system, kinds in report["systems"].items():
            self.assertEqual(kinds["worker_exit_statuses"], [0, 0], system)
            for kind in ("noop", "write"):
                self.assertEqual(len(kinds[kind]["steady"]), len(report["rates"]))
                for phase in [kinds[kind]["drain"], *kinds[kind]["steady"]]:
                    with self.subTest(system=system, kind=kind, rate=phase.get("rate")):
                        self.assertGreater(phase["enqueued"], 0)
                        self.assertEqual(phase["ran"], phase["enqueued"])
                        self.assertEqual(phase["errors"], 0)
                        self.assertEqual(phase["duplicates"], 0)
                        self.assertGreater(phase["tasks_per_second"], 0)
                        if kind == "write":
                            self.assertEqual(phase["rows"], phase["enqueued"])
                        if "rate" in phase:  # steady: the latency from enqueue to start
                            self.assertLessEqual(0, phase["p50_ms"])
                            self.assertLessEqual(phase["p50_ms"], phase["p99_ms"])
        for kind in ("noop", "write"):
            self.assertGreater(report["ratios"][kind]["drain"]["tasks_per_second"], 0)

    def test_the_task_benchmark_without_redis_stops_with_one_line_naming_it(self):
        result = subprocess.run(
            [
                PYTHON,
                "bench/tasks.py",
                "--quick",
                "--redis-url",
                f"redis://127.0.0.1:{free_port()}",
            ],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("Redis is not reachable", result.stderr)
