"""The real uvicorn process serves the site with DEBUG off, and its static
files hashed, compressed and cached for a year or more."""

import re
import subprocess

import pytest
from django.test import TransactionTestCase

from tests.support import (
    APP_DIR,
    PYTHON,
    LiveServerMixin,
    collected_static,
    environment,
    free_port,
    get,
)

pytestmark = pytest.mark.server


class UvicornServesTheSiteTests(LiveServerMixin, TransactionTestCase):
    plain_http_cookies = False  # the production settings, as they are

    @classmethod
    def setUpClass(cls):
        _, cls.manifest = collected_static()
        super().setUpClass()

    def probe(self, port):
        """The image's health check, as the container runs it."""
        return subprocess.run(
            [PYTHON, "-m", "health.probe"],
            cwd=APP_DIR,
            env=environment(UVICORN_PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def test_the_images_health_check_passes_while_the_server_answers(self):
        result = self.probe(self.server.port)
        self.assertEqual((result.returncode, result.stderr), (0, ""))

    def test_the_images_health_check_fails_in_one_line_when_nothing_answers(self):
        result = self.probe(free_port())
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("/healthz", result.stderr)

    def test_home_page_answers_200_with_the_hashed_stylesheet(self):
        status, headers, body = get(self.server.url + "/")
        self.assertEqual(status, 200, self.server.output())
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        hashed = self.manifest["css/site.css"]
        self.assertRegex(hashed, r"^css/site\.[0-9a-f]{12}\.css$")
        self.assertIn(f'href="/static/{hashed}"', body.decode())

    def test_hashed_static_file_is_cached_far_into_the_future(self):
        hashed = self.manifest["css/site.css"]
        status, headers, body = get(f"{self.server.url}/static/{hashed}")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"].split(";")[0], "text/css")
        max_age = int(re.search(r"max-age=(\d+)", headers["Cache-Control"]).group(1))
        self.assertGreaterEqual(max_age, 365 * 24 * 3600)
        self.assertIn("immutable", headers["Cache-Control"])
        self.assertIn(b".button", body)

    def test_static_files_are_served_compressed(self):
        hashed = self.manifest["css/site.css"]
        status, headers, _ = get(
            f"{self.server.url}/static/{hashed}", headers={"Accept-Encoding": "gzip"}
        )
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Encoding"], "gzip")

    def test_debug_is_off_so_an_unknown_page_is_a_plain_404(self):
        status, _, body = get(self.server.url + "/no-such-page/")
        self.assertEqual(status, 404)
        self.assertNotIn(b"URLconf", body)
