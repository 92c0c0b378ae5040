"""The documented env template and the settings read the same variables."""

import re

from django.test import SimpleTestCase

from config import settings
from tests.support import REPO_DIR

TEMPLATE = REPO_DIR / "deploy" / "env.example"


def documented_variables():
    """Names assigned in the template, each with the comment block above the
    group of assignments it belongs to."""
    names = {}
    comment = []
    previous = ""
    for line in TEMPLATE.read_text().splitlines():
        if line.startswith("#"):
            if not previous.startswith("#"):
                comment = []
            comment.append(line)
        elif match := re.match(r"^([A-Z][A-Z0-9_]*)=", line):
            names[match.group(1)] = "\n".join(comment)
        else:  # a blank line ends the group
            comment = []
        previous = line
    return names


class EnvTemplateTests(SimpleTestCase):
    def test_every_variable_the_settings_read_is_documented(self):
        self.assertEqual(sorted(settings.env.names), sorted(documented_variables()))

    def test_every_documented_variable_says_its_default(self):
        for name, comment in documented_variables().items():
            with self.subTest(name):
                self.assertRegex(comment, r"Default|Required", f"{name} has no default stated")
