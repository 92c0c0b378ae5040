"""Spellings of one username and one email sent to the real server process:
racing signups make one account, any spelling logs in, and the per-email
password-reset limit counts every spelling as one mailbox.

The spellings are those of accounts/tests/spellings.py (case, the Kelvin sign,
combining accents, fullwidth letters, ß, the domain's punycode).
"""

import re
import threading

import pytest
from django.test import TransactionTestCase

from accounts.models import User
from accounts.tests.factories import PASSWORD, csrf_token_in, signup_form
from accounts.tests.spellings import EMAIL, EMAIL_SPELLINGS, USERNAME, USERNAME_SPELLINGS
from tests.support import FormClient, LiveServerMixin, mark_verified

pytestmark = pytest.mark.server

RESET_LIMIT = 3
ENV = {
    # Plain HTTP to 127.0.0.1: cookies without Secure.
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    # Every request comes from one address: only the limits under test bite.
    "SIGNUP_THROTTLE_ADDRESS_LIMIT": "10000",
    "LOGIN_THROTTLE_ADDRESS_LIMIT": "10000",
    "PASSWORD_RESET_THROTTLE_ADDRESS_LIMIT": "10000",
    "PASSWORD_RESET_THROTTLE_EMAIL_LIMIT": str(RESET_LIMIT),
    # Two server processes, so that racing signups really run side by side.
    "WEB_CONCURRENCY": "2",
}
# What a signup that lost to another spelling is told, on the form's page.
TAKEN = re.compile(r"already exists|was taken a moment ago")


def token(page):
    return csrf_token_in(page)


class IdentitiesOnTheServerTests(LiveServerMixin, TransactionTestCase):
    server_env = ENV
    collect_mail = True

    def setUp(self):
        for sent in self.mail_dir.iterdir():  # each test reads only its own mail
            sent.unlink()

    def race(self, forms):
        """POST every signup form at once, each from its own client that has
        fetched the page first; return the (status, page) of each."""
        clients = [FormClient(self.server.url) for _ in forms]
        tokens = [token(client.request("/accounts/signup/")[2]) for client in clients]
        barrier = threading.Barrier(len(forms))
        answers = [None] * len(forms)

        def post(number):
            barrier.wait(timeout=30)
            data = {**forms[number], "csrfmiddlewaretoken": tokens[number]}
            status, _, page = clients[number].request("/accounts/signup/", data)
            answers[number] = (status, page)

        threads = [threading.Thread(target=post, args=(n,)) for n in range(len(forms))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return answers

    def assertOneWinnerAndFormErrors(self, answers):
        statuses = sorted(status for status, _ in answers)
        self.assertEqual(statuses, [200] * (len(answers) - 1) + [302], self.server.output())
        for status, page in answers:
            if status == 200:
                self.assertRegex(page, TAKEN)
        self.assertEqual(User.objects.count(), 1)
        self.assertNotIn('"status": 500', self.server.output())

    def sign_up_kate(self):
        client = FormClient(self.server.url)
        status, _, _ = client.submit("/accounts/signup/", signup_form(USERNAME, email=EMAIL))
        self.assertEqual(status, 302, self.server.output())
        mark_verified(USERNAME)

    def test_racing_signups_with_spellings_of_one_email_make_one_account(self):
        spellings = [EMAIL, *EMAIL_SPELLINGS]
        answers = self.race(
            [signup_form(f"kate{n}", email=email) for n, email in enumerate(spellings)]
        )
        self.assertOneWinnerAndFormErrors(answers)

    def test_racing_signups_with_spellings_of_one_username_make_one_account(self):
        spellings = [USERNAME, *USERNAME_SPELLINGS]
        answers = self.race(
            [signup_form(name, email=f"street{n}@example.com") for n, name in enumerate(spellings)]
        )
        self.assertOneWinnerAndFormErrors(answers)

    def test_any_spelling_of_the_email_logs_in(self):
        self.sign_up_kate()
        for spelling in EMAIL_SPELLINGS:
            with self.subTest(spelling=spelling):
                status, headers, _ = FormClient(self.server.url).submit(
                    "/accounts/login/", {"username": spelling, "password": PASSWORD}
                )
                self.assertEqual((status, headers.get("Location")), (302, "/accounts/profile/"))

    def test_the_per_email_reset_limit_holds_across_spellings(self):
        self.sign_up_kate()
        statuses = [
            FormClient(self.server.url).submit("/accounts/password_reset/", {"email": s})[0]
            for s in EMAIL_SPELLINGS
        ]
        expected = [302] * RESET_LIMIT + [429] * (len(EMAIL_SPELLINGS) - RESET_LIMIT)
        self.assertEqual(statuses, expected)
        mails = "".join(mail for mail in self.delivered_mail() if "Reset your password" in mail)
        recipients = re.findall(r"^To: (.*)$", mails, flags=re.MULTILINE)
        self.assertEqual(recipients, ["kate@xn--bcher-kva.example"] * RESET_LIMIT)

    def test_a_reset_for_an_unknown_or_unverified_address_looks_the_same_and_sends_nothing(self):
        self.sign_up_kate()
        status, _, _ = FormClient(self.server.url).submit(
            "/accounts/signup/", signup_form("unverified")
        )
        self.assertEqual(status, 302)
        answers = []
        for email in (EMAIL, "nobody@example.com", "unverified@example.com"):
            client = FormClient(self.server.url)
            status, headers, _ = client.submit("/accounts/password_reset/", {"email": email})
            done = client.request(headers["Location"])
            answers.append((status, headers["Location"], done[0], done[2]))
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(answers[0], answers[2])
        mails = [mail for mail in self.delivered_mail() if "Reset your password" in mail]
        self.assertEqual(len(mails), 1)
        self.assertIn("To: kate@xn--bcher-kva.example", mails[0])
