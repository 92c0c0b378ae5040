from datetime import timedelta

from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.db.models.functions import Now
from django.test import TestCase, override_settings
from django.urls import reverse

from accounts.models import ThrottleCounter
from accounts.tests.factories import PASSWORD, make_user
from accounts.throttling import SWEEP_PER_HIT, login_throttle, purge_expired
from worker.tests.support import tasks_run_after

THROTTLES = {
    "login": {"window": 900, "limits": {"account": 3, "address": 5}},
    "password_reset": {"window": 3600, "limits": {"email": 2, "address": 4}},
}


def let_the_window_pass():
    """Move every window into the past, as the clock would: by the clock the
    throttle reads (the database's ``statement_timestamp()``, which Django's
    ``Now()`` is), never Python's."""
    ThrottleCounter.objects.update(window_ends=Now() - timedelta(seconds=1))


@override_settings(THROTTLES=THROTTLES)
class LoginThrottleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def login(self, username="ada", password="wrong", address="192.0.2.10"):
        return self.client.post(
            reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
        )

    def test_failures_up_to_the_limit_are_ordinary_form_errors(self):
        for _ in range(3):
            self.assertEqual(self.login().status_code, 200)

    def test_the_attempt_after_the_limit_gets_429_with_when_to_retry(self):
        for _ in range(3):
            self.login()
        response = self.login()
        self.assertEqual(response.status_code, 429)
        self.assertTemplateUsed(response, "429.html")
        self.assertTemplateUsed(response, "base.html")
        self.assertContains(response, "Try again in 15 minutes.", status_code=429)
        self.assertTrue(890 <= int(response["Retry-After"]) <= 900)

    def test_while_throttled_even_the_right_password_gets_429(self):
        for _ in range(3):
            self.login()
        response = self.login(password=PASSWORD)
        self.assertEqual(response.status_code, 429)
        self.assertNotIn(SESSION_KEY, self.client.session)

    def test_the_account_is_one_subject_whatever_name_or_case_is_typed(self):
        self.login("ada")
        self.login("ADA@example.com")
        self.login("Ada")
        self.assertEqual(self.login("ada@EXAMPLE.com").status_code, 429)

    def test_throttling_ends_when_the_window_has_passed(self):
        for _ in range(4):
            self.login()
        let_the_window_pass()
        response = self.login(password=PASSWORD)
        self.assertRedirects(response, reverse("profile"))

    def test_a_successful_login_clears_the_accounts_count(self):
        self.login()
        self.login()
        self.login(password=PASSWORD)
        self.client.logout()
        for _ in range(3):
            self.assertEqual(self.login().status_code, 200)
        self.assertEqual(self.login().status_code, 429)

    def test_one_address_is_throttled_across_accounts(self):
        for name in ("u1", "u2", "u3", "u4", "u5"):
            self.assertEqual(self.login(username=name).status_code, 200)
        self.assertEqual(self.login(username="u6").status_code, 429)
        self.assertEqual(self.login(username="u6", address="198.51.100.7").status_code, 200)

    def test_another_address_is_not_throttled_for_its_own_account(self):
        for _ in range(5):
            self.login(username="ghost", address="192.0.2.66")
        other = make_user("grace", email="g@example.com", password="x")
        response = self.login("grace", "x", address="198.51.100.7")
        self.assertRedirects(response, reverse("profile"))
        self.assertEqual(int(self.client.session[SESSION_KEY]), other.pk)

    def test_counters_never_store_the_name_in_clear(self):
        self.login("ada@example.com")
        keys = list(ThrottleCounter.objects.values_list("key", flat=True))
        self.assertTrue(keys)
        # Each key is the scope, the kind and a digest; a hex digest may hold
        # the letters "ada" by chance, so the key's shape is what is checked.
        for key in keys:
            self.assertRegex(key, r"^login:(account|address):[0-9a-f]{32}$")
            self.assertNotIn("192.0.2", key)

    def test_expired_counters_are_purged(self):
        self.login()
        let_the_window_pass()
        purge_expired()
        self.assertFalse(ThrottleCounter.objects.exists())

    def test_a_hit_counts_every_subject_and_sweeps_in_one_statement(self):
        with self.assertNumQueries(1):
            login_throttle.hit(account="user:1", address="192.0.2.1")

    def test_a_hit_sweeps_away_a_bounded_number_of_expired_counters(self):
        for n in range(SWEEP_PER_HIT + 5):
            login_throttle.hit(account=f"sprayed-{n}")
        let_the_window_pass()
        login_throttle.hit(account="someone", address="192.0.2.1")
        self.assertEqual(ThrottleCounter.objects.filter(window_ends__lte=Now()).count(), 5)
        self.assertEqual(ThrottleCounter.objects.filter(window_ends__gt=Now()).count(), 2)

    def test_a_hit_on_an_expired_counter_starts_a_new_window_not_a_sweep(self):
        for _ in range(4):
            login_throttle.hit(account="ada")
        let_the_window_pass()
        self.assertFalse(login_throttle.hit(account="ada").blocked)
        (counter,) = ThrottleCounter.objects.all()
        self.assertEqual(counter.hits, 1)


@override_settings(THROTTLES=THROTTLES)
class PasswordResetThrottleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_user()

    def reset(self, email="ada@example.com", address="192.0.2.10"):
        with tasks_run_after(self):
            return self.client.post(
                reverse("password_reset"), {"email": email}, REMOTE_ADDR=address
            )

    def test_requests_over_the_limit_per_email_get_429_and_send_nothing(self):
        self.assertEqual(self.reset().status_code, 302)
        self.assertEqual(self.reset("ADA@example.com").status_code, 302)
        response = self.reset()
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Try again in 60 minutes.", status_code=429)
        self.assertEqual(len(mail.outbox), 2)

    def test_unknown_emails_are_throttled_the_same_way(self):
        self.reset("nobody@example.com")
        self.reset("nobody@example.com")
        self.assertEqual(self.reset("nobody@example.com").status_code, 429)

    def test_one_address_is_throttled_across_emails(self):
        for n in range(4):
            self.assertEqual(self.reset(f"n{n}@example.com").status_code, 302)
        self.assertEqual(self.reset("n9@example.com").status_code, 429)

    def test_reset_requests_are_allowed_again_after_the_window(self):
        self.reset()
        self.reset()
        let_the_window_pass()
        self.assertEqual(self.reset().status_code, 302)
