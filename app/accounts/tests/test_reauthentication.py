"""Sensitive changes ask for the password again once the last
authentication is older than REAUTHENTICATION_TIMEOUT."""

from django.test import TestCase, override_settings
from django.urls import reverse

from accounts.reauthentication import SESSION_KEY
from accounts.tests.factories import (
    PASSWORD,
    give_second_factor,
    make_authentication_stale,
    make_user,
)
from audit.events import Event
from audit.models import SecurityEvent

REAUTHENTICATE = reverse("reauthenticate")
SENSITIVE = ["password_change", "email_change", "two_factor_enable"]


class ReauthenticationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("ada")

    def setUp(self):
        self.client.force_login(self.user)

    def test_a_fresh_login_changes_without_a_prompt(self):
        for name in SENSITIVE:
            with self.subTest(page=name):
                self.assertEqual(self.client.get(reverse(name)).status_code, 200)

    def test_an_old_login_is_asked_for_the_password_then_comes_back(self):
        make_authentication_stale(self.client)
        for name in SENSITIVE:
            with self.subTest(page=name):
                self.assertRedirects(
                    self.client.get(reverse(name)), f"{REAUTHENTICATE}?next={reverse(name)}"
                )
        response = self.client.post(
            REAUTHENTICATE, {"password": PASSWORD, "next": reverse("email_change")}
        )
        self.assertRedirects(response, reverse("email_change"))
        self.assertEqual(self.client.get(reverse("password_change")).status_code, 200)
        self.assertTrue(SecurityEvent.objects.filter(event=Event.REAUTHENTICATED).exists())

    def test_turning_the_factor_off_and_new_codes_ask_too(self):
        give_second_factor(self.user)
        make_authentication_stale(self.client)
        for name in ("two_factor_disable", "two_factor_recovery_codes"):
            with self.subTest(page=name):
                self.assertRedirects(
                    self.client.get(reverse(name)), f"{REAUTHENTICATE}?next={reverse(name)}"
                )

    def test_a_wrong_password_is_a_form_error(self):
        make_authentication_stale(self.client)
        response = self.client.post(REAUTHENTICATE, {"password": "wrong"})
        self.assertFormError(response.context["form"], "password", "That is not your password.")
        self.assertEqual(self.client.get(reverse("email_change")).status_code, 302)

    def test_an_offsite_next_is_not_followed(self):
        response = self.client.post(
            REAUTHENTICATE, {"password": PASSWORD, "next": "https://evil.example/"}
        )
        self.assertRedirects(response, reverse("profile"))

    @override_settings(THROTTLES={"password_change": {"window": 900, "limits": {"account": 2}}})
    def test_guesses_are_throttled_per_account(self):
        statuses = [
            self.client.post(REAUTHENTICATE, {"password": "wrong"}).status_code for _ in range(3)
        ]
        self.assertEqual(statuses, [200, 200, 429])
        self.assertEqual(self.client.post(REAUTHENTICATE, {"password": PASSWORD}).status_code, 429)

    @override_settings(REAUTHENTICATION_TIMEOUT=3600)
    def test_the_timeout_comes_from_the_setting(self):
        session = self.client.session
        session[SESSION_KEY] -= 600  # past the default of 300, within the hour set here
        session.save()
        self.assertEqual(self.client.get(reverse("email_change")).status_code, 200)
        make_authentication_stale(self.client)  # now older than the hour
        self.assertEqual(self.client.get(reverse("email_change")).status_code, 302)


class WrongPasswordEventTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("ada")

    def setUp(self):
        self.client.force_login(self.user)

    def test_a_wrong_password_at_each_confirmation_is_a_security_event(self):
        posts = {
            "reauthenticate": {"password": "wrong"},
            "email_change": {"email": "ada@new.example", "password": "wrong"},
            "password_change": {
                "old_password": "wrong",
                "new_password1": "a-new-long-passphrase",
                "new_password2": "a-new-long-passphrase",
            },
        }
        for name, data in posts.items():
            self.client.post(reverse(name), data)
        events = SecurityEvent.objects.filter(event=Event.PASSWORD_FAILED, user=self.user)
        self.assertEqual(sorted(e.details["view"] for e in events), sorted(posts))
