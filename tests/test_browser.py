"""The account flows in a real browser (Debian's chromium, driven by
Playwright) against the real uvicorn process and PostgreSQL, with the strict
Content Security Policy on: any violation (or other console error) fails it.

On failure, a screenshot of the page is saved in test-artifacts/browser/.
"""

import base64
import concurrent.futures
import contextlib
import email
import email.policy
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import global_settings
from django.db import connection
from django.test import TransactionTestCase, override_settings
from django_otp.oath import TOTP

from accounts.models import User
from accounts.tests.factories import PASSWORD, give_second_factor
from tests.support import REPO_DIR, Server, WorkerProcess, server_environment, wait_for_tasks

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
ARTIFACTS = REPO_DIR / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHANGED_PASSWORD = "changed-long-unusual-passphrase"
RESET_PASSWORD = "reset-long-unusual-passphrase"
ADMIN_PASSWORD = "admin-long-unusual-passphrase"
# "GRACE" in fullwidth letters: another spelling of the name, the same account.
FULLWIDTH_GRACE = "\uff27\uff32\uff21\uff23\uff25"
FULLWIDTH_EXAMPLE = "\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25"  # "EXAMPLE"


def code_now(key, steps_from_now=0):
    """The code an authenticator app with this secret shows (django-otp's TOTP)."""
    totp = TOTP(key)
    totp.time = time.time() + steps_from_now * totp.step
    return f"{totp.token():06d}"


class AccountFlowsInABrowserTests(TransactionTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not Path(CHROMIUM).is_file():
            raise AssertionError(
                f"No browser at {CHROMIUM}: install Debian's chromium "
                "(apt-get install chromium) or set CHROMIUM_EXECUTABLE to a Chromium or Chrome"
            )
        cls.workdir = Path(tempfile.mkdtemp(prefix="browser-test-"))
        cls.mail_dir = cls.workdir / "mail"
        env = server_environment(connection.settings_dict, EMAIL_URL=f"filemail://{cls.mail_dir}")
        cls.server = Server(env).start(cls.workdir / "uvicorn.log")
        cls.worker = WorkerProcess(env).start(cls.workdir)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.worker.stop()
        shutil.rmtree(cls.workdir, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        self.problems = []  # console errors and uncaught exceptions in pages
        # Hashed as the server hashes (the tests' fast hasher is the tests' own).
        with override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS):
            root = User.objects.create_superuser("root", "root@example.com", ADMIN_PASSWORD)
        self.admin_key = give_second_factor(root).bin_key

    @contextlib.contextmanager
    def step(self, page, name):
        try:
            yield
        except BaseException:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / f"{self._testMethodName}-{name}.png"
            with contextlib.suppress(Exception):
                page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failing step: {shot}")
            print(f"server output:\n{self.server.output()}")
            raise

    def watch(self, page):
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and self.problems.append(f"{message.text} ({message.location.get('url')})")
            ),
        )
        page.on("pageerror", lambda error: self.problems.append(str(error)))

    def mailed_link(self, to, path):
        """The link to ``path`` (a regular expression) in the newest mail to
        ``to``, once the worker has sent every mail."""
        # Playwright's loop runs in this thread: the ORM asks from another.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(self.tasks_done).result()
        messages = sorted(self.mail_dir.glob("*.log"), key=lambda path: path.stat().st_mtime)
        for file in reversed(messages):
            raw = file.read_text().split("\n" + "-" * 79)[0]  # one message per file
            message = email.message_from_string(raw, policy=email.policy.default)
            found = re.search(rf"http://\S+{path}", message.get_content())
            if message["To"] == to and found:
                return found.group(0)
        raise AssertionError(f"no mail to {to} with a link to {path}")

    @staticmethod
    def tasks_done():
        try:
            wait_for_tasks()
        finally:
            connection.close()

    def log_out(self, page):
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{self.server.url}/")
        self.assertTrue(page.get_by_role("link", name="Log in").first.is_visible())

    def log_in(self, page, identifier, password, code=None, then="**/accounts/profile/"):
        page.goto(f"{self.server.url}/accounts/login/")
        page.get_by_label("Username or email:", exact=True).fill(identifier)
        page.get_by_label("Password:", exact=True).fill(password)
        page.get_by_role("button", name="Log in").click()
        if code is not None:
            page.wait_for_url("**/accounts/login/code/")
            page.get_by_label("Code:", exact=True).fill(code)
            page.get_by_role("button", name="Log in").click()
        page.wait_for_url(then)

    def verify(self, page, link, address):
        page.goto(link)
        self.assertIn(address, page.content())
        page.get_by_role("button", name="Yes, verify it").click()
        page.wait_for_url("**/accounts/profile/")
        self.assertIn(f"Your email address {address} is verified.", page.content())

    def in_a_browser(self, flows):
        """Run ``flows(page)`` in a fresh headless Chromium that watches the console."""
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            self.watch(page)
            try:
                flows(page)
            finally:
                browser.close()

    def test_signup_verify_second_factor_email_change_password_change_and_reset(self):
        self.in_a_browser(self.run_flows)
        self.assertEqual(self.problems, [], "the pages reported errors in the console")

    def test_the_admin_works_for_staff_with_a_second_factor_under_the_csp(self):
        self.in_a_browser(self.use_the_admin)
        self.assertEqual(self.problems, [], "the admin reported errors in the console")

    def use_the_admin(self, page):
        base = self.server.url
        with self.step(page, "admin-login-is-ours-and-asks-for-the-code"):
            response = page.goto(base + "/admin/")
            self.assertIn("default-src 'self'", response.headers["content-security-policy"])
            page.wait_for_url("**/accounts/login/?next=/admin/")
            page.get_by_label("Username or email:", exact=True).fill("root")
            page.get_by_label("Password:", exact=True).fill(ADMIN_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url("**/accounts/login/code/")
            page.get_by_label("Code:", exact=True).fill(code_now(self.admin_key))
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(base + "/admin/")
        with self.step(page, "admin-add-user"):
            page.goto(base + "/admin/accounts/user/add/")
            page.get_by_label("Username:").fill("grace")
            page.get_by_label("Email address:").fill("grace@example.com")
            page.get_by_label("Password:", exact=True).fill(ADMIN_PASSWORD)
            page.get_by_label("Password confirmation:").fill(ADMIN_PASSWORD)
            page.get_by_role("button", name="Save", exact=True).click()
            page.wait_for_url("**/admin/accounts/user/*/change/")
        with self.step(page, "admin-user-list"):
            page.goto(base + "/admin/accounts/user/?q=grace")
            self.assertIn("grace@example.com", page.content())
        with self.step(page, "admin-audit-trail"):
            page.goto(base + "/admin/audit/securityevent/")
            self.assertIn("Admin opened", page.content())
            self.assertIn("Logged in", page.content())

    def run_flows(self, page):
        base = self.server.url
        with self.step(page, "1-signup"):
            response = page.goto(base + "/")
            self.assertIn("default-src 'self'", response.headers["content-security-policy"])
            page.get_by_role("link", name="Sign up").click()
            page.get_by_label("Username:", exact=True).fill("grace")
            page.get_by_label("Email address:", exact=True).fill("grace@example.com")
            page.get_by_label("Password:", exact=True).fill(PASSWORD)
            page.get_by_label("Password confirmation:", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign up").click()
            page.wait_for_url("**/accounts/email/verify/")
            self.assertIn("We sent a link to", page.content())

        with self.step(page, "2-verify-by-the-emailed-link"):
            page.get_by_role("button", name="Send the link again").click()
            page.wait_for_url("**/accounts/email/verify/")
            self.assertIn("We sent the link again.", page.content())
            link = self.mailed_link("grace@example.com", "/accounts/email/verify/\\S+/")
            self.verify(page, link, "grace@example.com")

        with self.step(page, "3-turn-on-the-second-factor"):
            page.get_by_role("link", name="Turn on a second factor").click()
            page.wait_for_url("**/accounts/two-factor/on/")
            self.assertTrue(page.get_by_alt_text("QR code of the secret").is_visible())
            key = base64.b32decode(page.locator("code.secret").inner_text().replace(" ", ""))
            page.get_by_label("Code:", exact=True).fill(code_now(key))
            page.get_by_role("button", name="Turn on").click()
            page.wait_for_selector("ul.recovery-codes")
            recovery_codes = page.locator("ul.recovery-codes code").all_inner_texts()
            self.assertEqual(len(recovery_codes), 10)
            page.get_by_role("link", name="I have saved them").click()
            page.wait_for_url("**/accounts/profile/")

        with self.step(page, "4-log-out-and-in-with-password-and-code"):
            self.log_out(page)
            # The code of the next step: the one used to turn it on works once.
            self.log_in(page, FULLWIDTH_GRACE + "@Example.com", PASSWORD, code_now(key, 1))
            self.assertIn("Your profile", page.content())

        with self.step(page, "5-log-in-with-a-recovery-code"):
            self.log_out(page)
            self.log_in(page, "grace", PASSWORD, recovery_codes[0])
            self.assertIn("You used a recovery code; 9 are left.", page.content())

        with self.step(page, "6-change-the-email-with-verification"):
            page.get_by_role("link", name="Change your email").click()
            page.get_by_label("New email address:", exact=True).fill("grace@new.example")
            page.get_by_label("Password:", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Change email").click()
            page.wait_for_url("**/accounts/profile/")
            self.assertIn("changing to grace@new.example", page.content())
            self.mailed_link("grace@example.com", "/accounts/password_reset/")  # the notice
            link = self.mailed_link("grace@new.example", "/accounts/email/verify/\\S+/")
            self.verify(page, link, "grace@new.example")
            self.assertIn("<dd>grace@new.example</dd>", page.content())

        with self.step(page, "7-change-password"):
            page.get_by_role("link", name="Change your password").click()
            page.get_by_label("Old password:", exact=True).fill(PASSWORD)
            page.get_by_label("New password:", exact=True).fill(CHANGED_PASSWORD)
            page.get_by_label("New password confirmation:", exact=True).fill(CHANGED_PASSWORD)
            page.get_by_role("button", name="Change password").click()
            page.wait_for_url("**/accounts/password_change/done/")
            self.assertIn("Password changed", page.content())

        with self.step(page, "8-turn-the-second-factor-off"):
            page.goto(base + "/accounts/profile/")
            page.get_by_role("link", name="Turn off the second factor").click()
            page.get_by_label("Password:", exact=True).fill(CHANGED_PASSWORD)
            page.get_by_label("Code:", exact=True).fill(recovery_codes[1])
            page.get_by_role("button", name="Turn off").click()
            page.wait_for_url("**/accounts/profile/")
            self.assertIn("The second factor is off.", page.content())
            events = page.locator("table.events").inner_text()
            for event in ("Second factor turned off", "Email address changed", "Logged in"):
                self.assertIn(event, events)

        with self.step(page, "9-request-reset"):
            self.log_out(page)
            page.goto(base + "/accounts/login/")
            page.get_by_role("link", name="Forgot your password?").click()
            page.get_by_label("Email:", exact=True).fill("GRACE@NEW.EXAMPLE")
            page.get_by_role("button", name="Send the link").click()
            page.wait_for_url("**/accounts/password_reset/done/")
            self.assertIn("Check your email", page.content())

        with self.step(page, "10-follow-the-link"):
            page.goto(self.mailed_link("grace@new.example", "/accounts/reset/\\S+/"))
            page.get_by_label("New password:", exact=True).fill(RESET_PASSWORD)
            page.get_by_label("New password confirmation:", exact=True).fill(RESET_PASSWORD)
            page.get_by_role("button", name="Set password").click()
            page.wait_for_url("**/accounts/reset/done/")
            self.assertIn("Your new password is set", page.content())

        with self.step(page, "11-login-with-the-new-password"):
            self.log_in(page, "grace", RESET_PASSWORD)
            self.assertIn("grace@new.example", page.content())

        with self.step(page, "12-planted-link-back-at-the-login-page"):
            page.goto(base + "/accounts/login/?next=/accounts/login/")
            page.wait_for_url(base + "/accounts/profile/")
            self.assertIn("grace@new.example", page.content())

        with self.step(page, "13-signup-with-a-taken-email-in-another-spelling"):
            self.log_out(page)
            page.goto(base + "/accounts/signup/")
            page.get_by_label("Username:", exact=True).fill("grace2")
            page.get_by_label("Email address:", exact=True).fill(
                "Grace@new." + FULLWIDTH_EXAMPLE.lower()
            )
            page.get_by_label("Password:", exact=True).fill(PASSWORD)
            page.get_by_label("Password confirmation:", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign up").click()
            self.assertIn("A user with that email address already exists.", page.content())
