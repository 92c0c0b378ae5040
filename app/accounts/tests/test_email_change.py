"""A logged-in user changes the address with the password; the new one
replaces the old only once verified, and the old one is told."""

from django.core import mail
from django.test import TestCase
from django.urls import reverse

from accounts.models import EmailChange, User
from accounts.tests.factories import (
    NEW_PASSWORD,
    PASSWORD,
    link_in,
    make_authentication_stale,
    make_user,
)
from audit.events import Event
from audit.models import SecurityEvent
from worker.tests.support import tasks_run_after

URL = reverse("email_change")


class EmailChangeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("ada")
        cls.other = make_user("grace")

    def setUp(self):
        self.client.force_login(self.user)

    def change(self, email="ada@new.example", password=PASSWORD):
        with tasks_run_after(self):
            return self.client.post(URL, {"email": email, "password": password})

    def mail_to(self, address):
        (message,) = [message for message in mail.outbox if message.to == [address]]
        return message

    def test_a_change_waits_for_the_new_address_to_be_verified(self):
        self.assertRedirects(self.change(), reverse("profile"))
        self.assertEqual(User.objects.get(pk=self.user.pk).email, "ada@example.com")
        self.assertEqual(EmailChange.objects.get(user=self.user).email, "ada@new.example")
        self.assertContains(self.client.get(reverse("profile")), "changing to ada@new.example")

    def test_following_the_link_replaces_the_address(self):
        self.change()
        link = link_in(self.mail_to("ada@new.example"), "verify_email")
        self.assertRedirects(self.client.post(link), reverse("profile"))
        user = User.objects.get(pk=self.user.pk)
        self.assertEqual((user.email, user.email_canonical), ("ada@new.example", "ada@new.example"))
        self.assertTrue(user.email_verified)
        self.assertFalse(EmailChange.objects.exists())
        self.assertEqual(self.client.post(link).status_code, 400)  # once only
        events = SecurityEvent.objects.filter(user=self.user).values_list("event", flat=True)
        self.assertIn(Event.EMAIL_CHANGE_REQUESTED, events)
        self.assertIn(Event.EMAIL_CHANGED, events)

    def test_the_old_address_is_told_with_only_a_link_to_reset(self):
        self.change()
        notice = self.mail_to("ada@example.com")
        self.assertIn("change its email address", notice.body)
        self.assertIn("/accounts/password_reset/", notice.body)
        self.assertNotIn("/accounts/email/verify/", notice.body)
        self.assertNotIn("ada@new.example", notice.body)

    def test_a_password_reset_cancels_the_change_and_its_link(self):
        self.change()
        link = link_in(self.mail_to("ada@new.example"), "verify_email")
        self.client.logout()
        with tasks_run_after(self):
            self.client.post(reverse("password_reset"), {"email": "ada@example.com"})
        reset = link_in(mail.outbox[-1], "password_reset_confirm")
        form = self.client.get(reset, follow=True)
        self.client.post(
            form.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        self.assertFalse(EmailChange.objects.exists())
        self.assertEqual(self.client.post(link).status_code, 400)
        self.assertEqual(User.objects.get(pk=self.user.pk).email, "ada@example.com")

    def test_the_wrong_password_is_a_form_error_and_changes_nothing(self):
        response = self.change(password="not-my-password")
        self.assertFormError(response.context["form"], "password", "That is not your password.")
        self.assertFalse(EmailChange.objects.exists())
        self.assertEqual(mail.outbox, [])

    def test_another_users_address_in_any_spelling_is_refused(self):
        for spelling in ("grace@example.com", "GRACE@EXAMPLE.COM", "grace@\uff45xample.com"):
            with self.subTest(spelling=spelling):
                response = self.change(email=spelling)
                self.assertFormError(
                    response.context["form"],
                    "email",
                    "A user with that email address already exists.",
                )

    def test_an_address_another_user_waits_to_verify_is_refused_in_any_spelling(self):
        EmailChange.objects.create(user=self.other, email="Shared@Example.org")
        response = self.change(email="shared@EXAMPLE.org")
        self.assertFormError(
            response.context["form"], "email", "A user with that email address already exists."
        )

    def test_nobody_signs_up_with_an_address_another_waits_to_verify(self):
        EmailChange.objects.create(user=self.other, email="shared@example.org")
        self.client.logout()
        response = self.client.post(
            reverse("signup"),
            {
                "username": "eve",
                "email": "SHARED@example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
        self.assertFormError(
            response.context["form"], "email", "A user with that email address already exists."
        )

    def test_an_expired_claim_holds_nothing(self):
        claim = EmailChange.objects.create(user=self.other, email="shared@example.org")
        EmailChange.objects.filter(pk=claim.pk).update(
            requested_at=claim.requested_at.replace(year=2000)
        )
        self.assertRedirects(self.change(email="shared@example.org"), reverse("profile"))
        self.assertEqual(EmailChange.objects.get().user, self.user)

    def test_the_own_address_is_refused_as_unchanged(self):
        response = self.change(email="ADA@example.com")
        self.assertFormError(response.context["form"], "email", "That is your address already.")

    def test_an_address_taken_before_the_link_is_followed_is_refused_then(self):
        self.change()
        link = link_in(self.mail_to("ada@new.example"), "verify_email")
        User.objects.filter(pk=self.other.pk).update(email="ada@new.example")
        response = self.client.post(link)
        self.assertContains(response, "That address is taken", status_code=400)
        self.assertEqual(User.objects.get(pk=self.user.pk).email, "ada@example.com")

    def test_an_old_authentication_is_asked_for_again(self):
        make_authentication_stale(self.client)
        response = self.client.get(URL)
        self.assertRedirects(response, f"{reverse('reauthenticate')}?next={URL}")
