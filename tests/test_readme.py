"""The README's promises that a file can hold it to."""

import re

from django.test import SimpleTestCase

from tests.support import REPO_DIR


def readme_test_command():
    readme = (REPO_DIR / "README.md").read_text()
    section = readme.split("\n## Tests\n", 1)[1]
    block = re.search(r"```sh\n(.+?)\n```", section, re.DOTALL).group(1)
    return block.strip()


class ReadmeTests(SimpleTestCase):
    def test_ci_runs_the_readme_test_command_last(self):
        ci = (REPO_DIR / ".ci" / "run").read_text().strip().splitlines()
        self.assertEqual(ci[-1].strip(), readme_test_command())

    def test_python_version_is_313_everywhere(self):
        self.assertEqual((REPO_DIR / ".python-version").read_text().strip(), "3.13")
        pyproject = (REPO_DIR / "pyproject.toml").read_text()
        self.assertIn('requires-python = ">=3.13"', pyproject)
        self.assertIn('target-version = "py313"', pyproject)
