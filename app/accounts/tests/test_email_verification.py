"""A signup's address is verified by a link mailed through the task queue;
until then the account sees only the page that says so."""

import time
from unittest import mock

from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse

from accounts import verification
from accounts.models import User
from accounts.tests.factories import PASSWORD, link_in, make_user, signup_form
from audit.events import Event
from audit.models import SecurityEvent
from worker.tests.support import tasks_run_after

NEEDED = reverse("email_verification_needed")


class SignupVerificationTests(TestCase):
    def sign_up(self, username="grace"):
        with tasks_run_after(self):
            response = self.client.post(reverse("signup"), signup_form(username))
        self.assertEqual(response.status_code, 302)
        return User.objects.get(username=username)

    def test_signup_mails_a_verification_link_through_the_task_queue(self):
        user = self.sign_up()
        self.assertFalse(user.email_verified)
        (message,) = mail.outbox
        self.assertEqual(message.to, ["grace@example.com"])
        self.assertEqual(message.subject, "Verify your email address for Djangoship")
        link_in(message, "verify_email")

    def test_the_request_only_enqueues_the_mail(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("signup"), signup_form())
        self.assertEqual(mail.outbox, [])

    def test_until_verified_every_page_leads_to_the_page_that_says_so(self):
        self.sign_up()
        for name in ("profile", "home", "about", "password_change", "email_change"):
            with self.subTest(page=name):
                self.assertRedirects(
                    self.client.get(reverse(name)), NEEDED, fetch_redirect_response=False
                )
        page = self.client.get(NEEDED)
        self.assertContains(page, "We sent a link to <strong>grace@example.com</strong>")
        self.assertContains(page, "Send the link again")

    def test_an_unverified_account_can_still_log_out(self):
        self.sign_up()
        self.assertRedirects(self.client.post(reverse("logout")), "/")

    def test_following_the_link_asks_for_a_press_then_verifies(self):
        self.sign_up()
        link = link_in(mail.outbox[0], "verify_email")
        page = self.client.get(link)
        self.assertContains(page, "Yes, verify it")
        self.assertFalse(User.objects.get(username="grace").email_verified)
        self.assertRedirects(self.client.post(link), reverse("profile"))
        self.assertTrue(User.objects.get(username="grace").email_verified)
        self.assertEqual(self.client.get(reverse("profile")).status_code, 200)
        self.assertTrue(SecurityEvent.objects.filter(event=Event.EMAIL_VERIFIED).exists())

    def test_the_link_works_from_a_browser_that_is_not_logged_in(self):
        self.sign_up()
        link = link_in(mail.outbox[0], "verify_email")
        self.client.logout()
        self.assertRedirects(self.client.post(link), reverse("login"))
        self.assertTrue(User.objects.get(username="grace").email_verified)

    def test_a_link_works_once(self):
        self.sign_up()
        link = link_in(mail.outbox[0], "verify_email")
        self.client.post(link)
        for method in (self.client.get, self.client.post):
            response = method(link)
            self.assertContains(response, "This link is not valid", status_code=400)

    def test_an_expired_link_is_refused_and_says_so(self):
        self.sign_up()
        link = link_in(mail.outbox[0], "verify_email")
        with override_settings(EMAIL_VERIFICATION_TIMEOUT=3600):
            later = time.time() + 3601
            with mock.patch("django.core.signing.time.time", return_value=later):
                response = self.client.post(link)
        self.assertContains(response, "This link has expired", status_code=400)
        self.assertFalse(User.objects.get(username="grace").email_verified)

    def test_a_link_still_within_its_time_works(self):
        self.sign_up()
        link = link_in(mail.outbox[0], "verify_email")
        with override_settings(EMAIL_VERIFICATION_TIMEOUT=3600):
            later = time.time() + 3500
            with mock.patch("django.core.signing.time.time", return_value=later):
                self.client.post(link)
        self.assertTrue(User.objects.get(username="grace").email_verified)

    def test_a_tampered_link_is_refused(self):
        self.sign_up()
        link = link_in(mail.outbox[0], "verify_email")
        for spoiled in (link[:-3] + "xx/", link.replace("/verify/", "/verify/e"), "AAAA"):
            with self.subTest(link=spoiled):
                path = (
                    spoiled if spoiled.startswith("/") else reverse("verify_email", args=[spoiled])
                )
                response = self.client.post(path)
                self.assertEqual(response.status_code, 400)
        self.assertFalse(User.objects.get(username="grace").email_verified)

    def test_a_link_for_one_account_cannot_verify_another(self):
        other = make_user("mallory", email_verified_at=None)
        self.sign_up()
        token = link_in(mail.outbox[0], "verify_email").split("/")[-2]
        payload, rest = token.split(":", 1)
        # The same signature over another user's id is not a signature.
        forged = verification.make_token(other).split(":", 1)[0] + ":" + rest
        response = self.client.post(reverse("verify_email", args=[forged]))
        self.assertEqual(response.status_code, 400)
        self.assertFalse(User.objects.get(pk=other.pk).email_verified)
        self.assertTrue(payload)

    def test_a_password_change_kills_the_link(self):
        user = self.sign_up()
        link = link_in(mail.outbox[0], "verify_email")
        user.set_password("a-different-long-passphrase")
        user.save()
        self.assertEqual(self.client.post(link).status_code, 400)


class ResendTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("grace", email_verified_at=None)

    def setUp(self):
        self.client.force_login(self.user)

    def resend(self):
        with tasks_run_after(self):
            return self.client.post(reverse("email_verification_resend"))

    def test_send_the_link_again_mails_a_new_link(self):
        self.assertRedirects(self.resend(), NEEDED)
        (message,) = mail.outbox
        self.assertEqual(message.to, ["grace@example.com"])
        self.assertEqual(self.client.post(link_in(message, "verify_email")).status_code, 302)
        self.assertTrue(User.objects.get(pk=self.user.pk).email_verified)

    @override_settings(
        THROTTLES={
            "email_verification": {"window": 3600, "limits": {"account": 3}},
        }
    )
    def test_it_is_throttled_per_account(self):
        statuses = [self.resend().status_code for _ in range(4)]
        self.assertEqual(statuses, [302, 302, 302, 429])
        self.assertEqual(len(mail.outbox), 3)
        self.assertTrue(
            SecurityEvent.objects.filter(
                event=Event.THROTTLED, user=self.user, details__scope="email_verification"
            ).exists()
        )

    def test_a_verified_account_is_sent_on_to_its_profile(self):
        self.user.email_verified_at = self.user.date_joined
        self.user.save()
        self.assertRedirects(self.client.get(NEEDED), reverse("profile"))
        self.assertRedirects(self.resend(), NEEDED, target_status_code=302)
        self.assertEqual(mail.outbox, [])


class UnverifiedLoginTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_user("grace", email_verified_at=None)

    def test_an_unverified_account_logs_in_and_sees_the_page_that_says_so(self):
        response = self.client.post(
            reverse("login"), {"username": "grace", "password": PASSWORD}, follow=True
        )
        self.assertRedirects(response, NEEDED)
        self.assertContains(response, "Verify your email address")
