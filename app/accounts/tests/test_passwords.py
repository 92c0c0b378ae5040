import re
from datetime import datetime, timedelta
from unittest import mock

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import NEW_PASSWORD, PASSWORD, make_user
from config.tests.settings_module import settings_read_from
from worker.tests.support import tasks_run_after


class PasswordChangeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def change(self, client, old=PASSWORD, new=NEW_PASSWORD):
        return client.post(
            reverse("password_change"),
            {"old_password": old, "new_password1": new, "new_password2": new},
        )

    def test_password_change_needs_login(self):
        response = self.client.get(reverse("password_change"))
        self.assertRedirects(response, f"{reverse('login')}?next={reverse('password_change')}")

    def test_password_change_sets_the_new_password_and_keeps_this_session(self):
        self.client.force_login(self.user)
        response = self.change(self.client)
        self.assertRedirects(response, reverse("password_change_done"))
        self.user.refresh_from_db()
        self.assertTrue(self.user.check_password(NEW_PASSWORD))
        self.assertEqual(self.client.get(reverse("profile")).status_code, 200)

    def test_password_change_logs_out_the_other_sessions(self):
        other = Client()
        other.login(username="ada", password=PASSWORD)
        self.assertEqual(other.get(reverse("profile")).status_code, 200)
        self.client.login(username="ada", password=PASSWORD)
        self.change(self.client)
        response = other.get(reverse("profile"))
        self.assertRedirects(response, f"{reverse('login')}?next={reverse('profile')}")

    def test_wrong_old_password_is_a_form_error(self):
        self.client.force_login(self.user)
        response = self.change(self.client, old="wrong")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].has_error("old_password"))


class PasswordResetTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def request_reset(self, email):
        """The request, then the worker's run of what it enqueued."""
        with tasks_run_after(self):
            return self.client.post(reverse("password_reset"), {"email": email})

    def test_the_request_only_enqueues_and_the_worker_sends(self):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("password_reset"), {"email": "ADA@example.com"})
        self.assertRedirects(response, reverse("password_reset_done"))
        self.assertEqual(mail.outbox, [])
        (task,) = DBTaskResult.objects.all()
        self.assertEqual(task.task_path, "accounts.tasks.send_password_reset")
        self.assertEqual(
            task.args_kwargs["kwargs"],
            {"email": "ADA@example.com", "domain": "testserver", "use_https": False},
        )

    def test_nothing_is_enqueued_before_the_transaction_commits(self):
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            self.client.post(reverse("password_reset"), {"email": "ada@example.com"})
        self.assertEqual(DBTaskResult.objects.count(), 0)
        self.assertEqual(len(callbacks), 1)

    def test_a_known_and_an_unknown_email_cost_the_request_the_same_queries(self):
        def statements(email):
            with (
                CaptureQueriesContext(connection) as queries,
                self.captureOnCommitCallbacks(execute=True),
            ):
                self.client.post(reverse("password_reset"), {"email": email})
            return [re.sub(r"'[^']*'|\b\d+\b", "?", query["sql"]) for query in queries]

        known = statements("ada@example.com")
        unknown = statements("nobody@example.com")
        self.assertEqual(known, unknown)
        self.assertFalse(any("accounts_user" in sql for sql in known), known)

    def link_from_the_email(self):
        self.assertEqual(len(mail.outbox), 1)
        return re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    def test_a_known_email_gets_a_one_time_link(self):
        response = self.request_reset("ADA@example.com")
        self.assertRedirects(response, reverse("password_reset_done"))
        self.assertEqual(mail.outbox[0].to, ["ada@example.com"])
        self.assertIn("/accounts/reset/", mail.outbox[0].body)

    def test_an_unknown_email_gets_the_same_answer_and_no_email(self):
        known = self.request_reset("ada@example.com")
        unknown = self.request_reset("nobody@example.com")
        self.assertEqual(unknown.status_code, known.status_code)
        self.assertEqual(unknown["Location"], known["Location"])
        self.assertEqual(len(mail.outbox), 1)
        done_known = self.client.get(known["Location"]).content
        done_unknown = self.client.get(unknown["Location"]).content
        self.assertEqual(done_known, done_unknown)

    def test_the_link_sets_a_new_password_once(self):
        self.request_reset("ada@example.com")
        link = self.link_from_the_email()
        form_page = self.client.get(link, follow=True)
        self.assertTrue(form_page.context["validlink"])
        response = self.client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        self.assertRedirects(response, reverse("password_reset_complete"))
        self.user.refresh_from_db()
        self.assertTrue(self.user.check_password(NEW_PASSWORD))

        again = Client().get(link, follow=True)
        self.assertFalse(again.context["validlink"])
        self.assertContains(again, "This link no longer works")

    def open_link_after(self, link, seconds):
        """Open the emailed link as if ``seconds`` had passed since it was sent."""
        later = datetime.now() + timedelta(seconds=seconds)
        with mock.patch.object(default_token_generator, "_now", return_value=later):
            return Client().get(link, follow=True)

    def test_the_emailed_link_works_for_the_configured_timeout_and_no_longer(self):
        self.request_reset("ada@example.com")
        link = self.link_from_the_email()
        timeout = settings.PASSWORD_RESET_TIMEOUT
        self.assertTrue(self.open_link_after(link, timeout - 2).context["validlink"])
        expired = self.open_link_after(link, timeout + 2)
        self.assertFalse(expired.context["validlink"])
        self.assertContains(expired, "This link no longer works")

    def test_the_timeout_is_read_from_the_environment(self):
        for value in (120, 7200):
            with self.subTest(value):
                read = settings_read_from(PASSWORD_RESET_TIMEOUT=str(value))
                self.assertEqual(read["PASSWORD_RESET_TIMEOUT"], value)
        unset = settings_read_from(unset=["PASSWORD_RESET_TIMEOUT"])
        self.assertEqual(unset["PASSWORD_RESET_TIMEOUT"], 3600)

    def test_after_a_reset_the_user_logs_in_with_the_new_password(self):
        self.request_reset("ada@example.com")
        form_page = self.client.get(self.link_from_the_email(), follow=True)
        self.client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        self.client.post(reverse("login"), {"username": "ada", "password": NEW_PASSWORD})
        self.assertEqual(int(self.client.session[SESSION_KEY]), self.user.pk)
