"""What the README and the pages of docs/ promise that a file can hold them to:
links that lead somewhere, tasks that exist, variables the settings read."""

import re
import subprocess

from django.test import SimpleTestCase

from config.env import Env
from config.tests.settings_module import settings_read_from
from tests.support import REPO_DIR

README = REPO_DIR / "README.md"
PAGES = sorted((REPO_DIR / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(markdown):
    """GitHub's anchor for each heading: lower case, punctuation dropped,
    spaces as hyphens."""
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", markdown, re.M)
    }


def variables_the_settings_read():
    names = []
    original = Env._raw

    def recording(self, name, default):
        names.append(name)
        return original(self, name, default)

    Env._raw = recording
    try:
        settings_read_from()
    finally:
        Env._raw = original
    return set(names)


def make_tasks():
    makefile = (REPO_DIR / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))


class DocumentationTests(SimpleTestCase):
    def test_the_readme_reads_in_five_minutes(self):
        self.assertLess(len(README.read_text()), 10_000)

    def test_the_readme_links_every_page_of_docs(self):
        readme = README.read_text()
        for page in PAGES:
            with self.subTest(page.name):
                self.assertIn(f"](docs/{page.name})", readme)

    def test_every_relative_link_leads_to_a_file_and_heading_that_exist(self):
        for document in [README, *PAGES]:
            for target in LINK.findall(document.read_text()):
                if target.startswith(("http://", "https://", "mailto:")):
                    continue
                path, _, anchor = target.partition("#")
                linked = (document.parent / path).resolve() if path else document
                with self.subTest(f"{document.name}: {target}"):
                    self.assertTrue(linked.exists(), f"{linked} does not exist")
                    if anchor:
                        self.assertIn(anchor, anchors(linked.read_text()))

    def test_every_make_task_named_is_in_the_makefile(self):
        tasks = make_tasks()
        for document in [README, *PAGES]:
            for task in re.findall(r"`make ([a-z][a-z-]*)", document.read_text()):
                with self.subTest(f"{document.name}: make {task}"):
                    self.assertIn(task, tasks)

    def test_every_make_task_says_what_it_does(self):
        result = subprocess.run(
            ["make", "help"], cwd=REPO_DIR, capture_output=True, text=True, check=True
        )
        listed = set(re.findall(r"make ([a-z-]+) ", result.stdout))
        self.assertEqual(listed, make_tasks())

    def test_the_configuration_table_names_only_variables_the_settings_read(self):
        read = variables_the_settings_read()
        table = (REPO_DIR / "docs" / "configuration.md").read_text()
        for row in re.findall(r"^\| (`[A-Z].*?) \|", table, re.M):
            names = re.findall(r"`([A-Z_][A-Z0-9_]*)`", row)
            first = names[0]
            for name in names:
                with self.subTest(name):
                    if name.startswith("_"):
                        # `DATABASE_POOL_MIN_SIZE` / `_MAX_SIZE`: the same prefix
                        cut = [first[:i] for i, c in enumerate(first) if c == "_"]
                        self.assertTrue(any(p + name in read for p in cut), f"{first} {name}")
                    else:
                        self.assertIn(name, read)
