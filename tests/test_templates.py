"""Every page template extends base.html and carries no inline script or
style, so that the strict Content Security Policy holds on each of them (the
browser test walks them with the policy on)."""

import re

from django.conf import settings
from django.test import SimpleTestCase

TEMPLATES = settings.BASE_DIR / "templates"
INLINE = re.compile(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


def pages():
    """The HTML templates that are pages: not fragments (includes/) nor
    mail bodies, and not base.html itself."""
    for path in sorted(TEMPLATES.rglob("*.html")):
        relative = path.relative_to(TEMPLATES)
        if relative.parts[0] == "includes" or relative.name in {"base.html"}:
            continue
        if relative.name.endswith("_email.html"):
            continue
        yield relative, path.read_text()


class PageTemplateTests(SimpleTestCase):
    def test_there_are_pages_to_check(self):
        self.assertGreater(len(list(pages())), 25)

    def test_every_page_extends_base_html(self):
        for name, text in pages():
            with self.subTest(template=str(name)):
                self.assertTrue(text.startswith('{% extends "base.html" %}'), name)

    def test_no_page_holds_an_inline_script_or_style(self):
        for name, text in [*pages(), ("base.html", (TEMPLATES / "base.html").read_text())]:
            with self.subTest(template=str(name)):
                self.assertIsNone(INLINE.search(text), name)
