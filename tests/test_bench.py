"""The benchmark's quick mode: every scenario answers, under load, without
errors, on our server, gunicorn and the ceiling (bench/run.py)."""

import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.test import SimpleTestCase

from tests.support import PYTHON, REPO_DIR

pytestmark = pytest.mark.bench


class QuickBenchmarkTests(SimpleTestCase):
    def test_every_scenario_answers_under_load_without_errors(self):
        with tempfile.TemporaryDirectory() as workdir:
            report_path = Path(workdir) / "quick.json"
            result = subprocess.run(
                [PYTHON, "bench/run.py", "--quick", "--json", str(report_path)],
                cwd=REPO_DIR,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            self.assertEqual(result.returncode, 0, result.stdout[-3000:] + result.stderr[-3000:])
            report = json.loads(report_path.read_text())
        self.assertEqual(report["mode"], "quick")
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
                for server in ("ours", "gunicorn"):
                    self.assertEqual(row[server]["errors"], 0)
                    self.assertGreater(row[server]["requests"], 0)
