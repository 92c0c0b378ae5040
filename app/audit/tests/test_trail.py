"""Each security event is a row and a JSON log line with who, what, when,
from where; a user sees their own on the profile page."""

import json

from django.test import TestCase
from django.urls import reverse

from accounts.tests.factories import PASSWORD, make_user
from audit.events import Event
from audit.models import USER_AGENT_MAX_LENGTH, SecurityEvent
from audit.trail import record
from logs.json_lines import JsonFormatter

AGENT = "Mozilla/5.0 (X11; Linux x86_64) Test/1.0"


class TrailTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("ada")
        cls.other = make_user("grace")

    def log_in(self, password=PASSWORD, **headers):
        return self.client.post(
            reverse("login"),
            {"username": "ada", "password": password},
            headers={"User-Agent": AGENT, "X-Request-ID": "req-12345678", **headers},
            REMOTE_ADDR="203.0.113.9",
        )

    def test_a_login_is_a_row_with_who_what_when_and_from_where(self):
        self.log_in()
        event = SecurityEvent.objects.get(event=Event.LOGIN)
        self.assertEqual(event.user, self.user)
        self.assertEqual(event.client_address, "203.0.113.9")
        self.assertEqual(event.user_agent, AGENT)
        self.assertEqual(event.request_id, "req-12345678")
        self.assertIsNotNone(event.created_at)

    def test_each_row_is_also_a_json_log_line(self):
        with self.assertLogs("audit", level="INFO") as logs:
            self.log_in()
        (line,) = logs.records
        self.assertEqual(line.event, "login")
        self.assertEqual(line.user_id, self.user.pk)
        self.assertEqual(line.client_address, "203.0.113.9")
        self.assertEqual(line.user_agent, AGENT)
        entry = json.loads(JsonFormatter().format(line))
        self.assertEqual((entry["event"], entry["request_id"]), ("login", "req-12345678"))

    def test_a_failed_login_names_the_account_it_was_at(self):
        self.log_in(password="wrong")
        event = SecurityEvent.objects.get(event=Event.LOGIN_FAILED)
        self.assertEqual(event.user, self.user)

    def test_a_failed_login_at_an_unknown_name_names_nobody(self):
        self.client.post(reverse("login"), {"username": "nobody", "password": "x"})
        event = SecurityEvent.objects.get(event=Event.LOGIN_FAILED)
        self.assertIsNone(event.user)
        self.assertEqual(event.details, {})

    def test_a_throttled_login_is_recorded_with_its_scope(self):
        for _ in range(6):
            self.log_in(password="wrong")
        event = SecurityEvent.objects.get(event=Event.THROTTLED)
        self.assertEqual((event.user, event.details), (self.user, {"scope": "login"}))

    def test_logout_is_recorded(self):
        self.client.force_login(self.user)
        self.client.post(reverse("logout"))
        self.assertTrue(SecurityEvent.objects.filter(event=Event.LOGOUT, user=self.user).exists())

    def test_a_password_change_is_recorded(self):
        self.client.force_login(self.user)
        self.client.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "another-long-unusual-passphrase",
                "new_password2": "another-long-unusual-passphrase",
            },
        )
        self.assertTrue(SecurityEvent.objects.filter(event=Event.PASSWORD_CHANGED).exists())

    def test_an_odd_user_agent_is_kept_cut_to_its_column_without_nul(self):
        self.log_in(**{"User-Agent": "a\x00b" + "x" * 1000})
        event = SecurityEvent.objects.get(event=Event.LOGIN)
        self.assertEqual(len(event.user_agent), USER_AGENT_MAX_LENGTH)
        self.assertTrue(event.user_agent.startswith("abx"))

    def test_an_address_that_is_not_an_ip_is_left_empty(self):
        self.client.post(
            reverse("login"), {"username": "ada", "password": PASSWORD}, REMOTE_ADDR="unix:sock"
        )
        self.assertIsNone(SecurityEvent.objects.get(event=Event.LOGIN).client_address)

    def test_the_profile_shows_the_users_own_recent_events_only(self):
        record(Event.PASSWORD_RESET, user=self.other)
        self.log_in()
        page = self.client.get(reverse("profile"))
        self.assertContains(page, "Recent security events")
        self.assertContains(page, "Logged in")
        self.assertContains(page, "203.0.113.9")
        self.assertNotContains(page, "Password reset by an emailed link")

    def test_the_profile_shows_at_most_twenty(self):
        for _ in range(25):
            record(Event.LOGIN, user=self.user)
        self.client.force_login(self.user)
        page = self.client.get(reverse("profile"))
        self.assertEqual(len(page.context["security_events"]), 20)

    def test_deleting_a_user_keeps_their_rows(self):
        record(Event.LOGIN, user=self.other)
        self.other.delete()
        self.assertIsNone(SecurityEvent.objects.get().user)
