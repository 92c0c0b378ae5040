"""Signup is throttled per client address, password change per account:
counted in PostgreSQL before any password is hashed or checked."""

from unittest import mock

from django.contrib.auth import SESSION_KEY
from django.test import TestCase, override_settings
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import NEW_PASSWORD, PASSWORD, make_user, signup_form

THROTTLES = {
    "login": {"window": 900, "limits": {"account": 100, "address": 100}},
    "password_reset": {"window": 3600, "limits": {"email": 100, "address": 100}},
    "signup": {"window": 3600, "limits": {"address": 2}},
    "password_change": {"window": 900, "limits": {"account": 2}},
}


@override_settings(THROTTLES=THROTTLES)
class SignupThrottleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.url = reverse("signup")

    def sign_up(self, username, address="192.0.2.10"):
        self.client.logout()
        return self.client.post(self.url, signup_form(username), REMOTE_ADDR=address)

    def test_the_signup_after_the_limit_gets_429_with_when_to_retry(self):
        self.assertEqual(self.sign_up("u1").status_code, 302)
        self.assertEqual(self.sign_up("u2").status_code, 302)
        response = self.sign_up("u3")
        self.assertEqual(response.status_code, 429)
        self.assertTemplateUsed(response, "429.html")
        self.assertContains(response, "Try again in 60 minutes.", status_code=429)
        self.assertTrue(3590 <= int(response["Retry-After"]) <= 3600)

    def test_a_throttled_signup_creates_no_user_and_logs_nobody_in(self):
        self.sign_up("u1")
        self.sign_up("u2")
        self.sign_up("u3")
        self.assertFalse(User.objects.filter(username="u3").exists())
        self.assertNotIn(SESSION_KEY, self.client.session)

    def test_failed_signups_count_too(self):
        for _ in range(2):
            self.client.post(self.url, {"username": "x"}, REMOTE_ADDR="192.0.2.10")
        self.assertEqual(self.sign_up("u1").status_code, 429)

    def test_over_the_limit_the_password_is_never_hashed(self):
        self.sign_up("u1")
        self.sign_up("u2")
        with mock.patch("django.contrib.auth.base_user.make_password") as make_password:
            response = self.sign_up("u3")
        self.assertEqual(response.status_code, 429)
        make_password.assert_not_called()

    def test_the_limit_is_per_address(self):
        self.sign_up("u1")
        self.sign_up("u2")
        self.assertEqual(self.sign_up("u3").status_code, 429)
        self.assertEqual(self.sign_up("u4", address="198.51.100.7").status_code, 302)


@override_settings(THROTTLES=THROTTLES)
class PasswordChangeThrottleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.url = reverse("password_change")
        cls.user = make_user()
        cls.other = make_user("grace")

    def setUp(self):
        self.client.force_login(self.user)

    def change(self, old):
        return self.client.post(
            self.url,
            {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

    def test_the_attempt_after_the_limit_gets_429_with_when_to_retry(self):
        self.assertEqual(self.change("wrong").status_code, 200)
        self.assertEqual(self.change("wrong").status_code, 200)
        response = self.change("wrong")
        self.assertEqual(response.status_code, 429)
        self.assertTemplateUsed(response, "429.html")
        self.assertTrue(890 <= int(response["Retry-After"]) <= 900)

    def test_while_throttled_even_the_right_old_password_gets_429_and_changes_nothing(self):
        self.change("wrong")
        self.change("wrong")
        response = self.change(PASSWORD)
        self.assertEqual(response.status_code, 429)
        self.user.refresh_from_db()
        self.assertTrue(self.user.check_password(PASSWORD))

    def test_over_the_limit_the_old_password_is_never_checked(self):
        self.change("wrong")
        self.change("wrong")
        with mock.patch.object(User, "check_password") as check_password:
            response = self.change(PASSWORD)
        self.assertEqual(response.status_code, 429)
        check_password.assert_not_called()

    def test_a_successful_change_clears_the_accounts_count(self):
        self.change("wrong")
        self.assertRedirects(self.change(PASSWORD), reverse("password_change_done"))
        self.assertEqual(self.change("wrong").status_code, 200)
        self.assertEqual(self.change("wrong").status_code, 200)
        self.assertEqual(self.change("wrong").status_code, 429)

    def test_the_limit_is_per_account(self):
        self.change("wrong")
        self.change("wrong")
        self.assertEqual(self.change("wrong").status_code, 429)
        self.client.force_login(self.other)
        self.assertRedirects(self.change(PASSWORD), reverse("password_change_done"))
