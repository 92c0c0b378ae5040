"""The import picture is the architecture written in pyproject.toml
(``[tool.importlinter]``): each layer imports only the layers below it."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from django.test import SimpleTestCase

from tests.support import APP_DIR, REPO_DIR

LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def importlinter():
    return tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["tool"]["importlinter"]


class ArchitectureTests(SimpleTestCase):
    def test_every_import_follows_the_layers(self):
        result = subprocess.run(
            [LINT_IMPORTS, "--no-cache", str(REPO_DIR / "pyproject.toml")],
            cwd=APP_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.assertEqual(result.returncode, 0, result.stdout[-3000:] + result.stderr)
        self.assertIn("0 broken", result.stdout)

    def test_every_package_of_the_app_has_its_place_in_the_layers(self):
        packages = {path.parent.name for path in APP_DIR.glob("*/__init__.py")}
        self.assertEqual(set(importlinter()["root_packages"]), packages)
        (contract,) = importlinter()["contracts"]
        placed = {
            name.split(".")[0]
            for layer in contract["layers"]
            for name in re.split(r"\s*\|\s*", layer)
        }
        self.assertEqual(placed, packages)

    def test_ruff_sorts_every_package_of_the_app_as_first_party(self):
        packages = {path.parent.name for path in APP_DIR.glob("*/__init__.py")}
        pyproject = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())
        first_party = set(pyproject["tool"]["ruff"]["lint"]["isort"]["known-first-party"])
        self.assertEqual(first_party - {"tests"}, packages)
