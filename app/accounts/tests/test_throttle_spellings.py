from django.core import mail
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse

from accounts.tests.factories import PASSWORD, make_user
from accounts.tests.spellings import EMAIL, EMAIL_SPELLINGS, USERNAME, USERNAME_SPELLINGS
from accounts.throttling import subject_key
from worker.tests.support import tasks_run_after

THROTTLES = {
    "login": {"window": 900, "limits": {"account": 3, "address": 100}},
    "password_reset": {"window": 3600, "limits": {"email": 2, "address": 100}},
}


class SubjectKeyTests(SimpleTestCase):
    def test_every_spelling_of_an_email_is_one_key(self):
        keys = {subject_key("password_reset", "email", s) for s in [EMAIL, *EMAIL_SPELLINGS]}
        self.assertEqual(len(keys), 1)

    def test_every_spelling_of_a_name_is_one_key(self):
        keys = {subject_key("login", "account", f"name:{s}") for s in USERNAME_SPELLINGS}
        self.assertEqual(len(keys), 1)


@override_settings(THROTTLES=THROTTLES)
class LoginThrottleSpellingTests(TestCase):
    """One account is one counter, whatever spelling of it is typed."""

    @classmethod
    def setUpTestData(cls):
        make_user(USERNAME, email=EMAIL)

    def login(self, username, password="wrong"):
        return self.client.post(reverse("login"), {"username": username, "password": password})

    def test_spellings_of_the_email_share_the_accounts_count(self):
        for spelling in EMAIL_SPELLINGS[-3:]:
            self.assertEqual(self.login(spelling).status_code, 200)
        self.assertEqual(self.login(EMAIL, PASSWORD).status_code, 429)

    def test_spellings_of_the_username_share_the_accounts_count(self):
        for spelling in USERNAME_SPELLINGS[:3]:
            self.assertEqual(self.login(spelling).status_code, 200)
        self.assertEqual(self.login(USERNAME_SPELLINGS[3], PASSWORD).status_code, 429)

    def test_spellings_of_a_name_nobody_has_share_one_count(self):
        spellings = [
            "nobody@stra\u00dfe.example",
            "NOBODY@STRASSE.example",
            "\uff4eobody@strasse.example",
        ]
        for spelling in spellings:
            self.assertEqual(self.login(spelling).status_code, 200)
        self.assertEqual(self.login("Nobody@Stra\u00dfe.example").status_code, 429)


@override_settings(THROTTLES=THROTTLES)
class PasswordResetThrottleSpellingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_user("kate", email=EMAIL)

    def reset(self, email):
        with tasks_run_after(self):
            return self.client.post(reverse("password_reset"), {"email": email})

    def test_the_per_email_limit_holds_across_spellings(self):
        statuses = [self.reset(spelling).status_code for spelling in EMAIL_SPELLINGS[:4]]
        self.assertEqual(statuses, [302, 302, 429, 429])
        self.assertEqual([message.to for message in mail.outbox], [[EMAIL], [EMAIL]])
