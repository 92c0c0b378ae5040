from django.core import mail
from django.test import TestCase
from django.urls import reverse

from accounts.forms import PasswordResetForm
from accounts.tests.factories import make_user
from accounts.tests.spellings import EMAIL, EMAIL_SPELLINGS, OTHER_EMAILS
from accounts.views.passwords import PasswordResetView
from worker.tests.support import tasks_run_after


class PasswordResetLookupTests(TestCase):
    """Password reset finds the account by any spelling of its email, and
    writes to the address the account has."""

    @classmethod
    def setUpTestData(cls):
        cls.kate = make_user("kate", email=EMAIL)
        cls.gone = make_user("gone", is_active=False)
        cls.nopass = make_user("nopass", password=None)
        cls.unverified = make_user("unverified", email_verified_at=None)

    def users(self, email):
        return list(PasswordResetForm().get_users(email))

    def test_the_reset_view_uses_this_form(self):
        self.assertIs(PasswordResetView.form_class, PasswordResetForm)

    def test_any_spelling_of_the_email_finds_the_account(self):
        for spelling in [EMAIL, *EMAIL_SPELLINGS]:
            with self.subTest(spelling=spelling):
                self.assertEqual(self.users(spelling), [self.kate])

    def test_addresses_that_only_look_alike_find_nobody(self):
        for other in OTHER_EMAILS:
            with self.subTest(other=other):
                self.assertEqual(self.users(other), [])

    def test_inactive_users_and_users_without_a_password_are_left_out(self):
        self.assertEqual(self.users("GONE@example.com"), [])
        self.assertEqual(self.users("NOPASS@example.com"), [])

    def test_an_address_not_yet_verified_gets_no_link(self):
        self.assertEqual(self.users("unverified@example.com"), [])
        with tasks_run_after(self):
            response = self.client.post(
                reverse("password_reset"), {"email": "unverified@example.com"}
            )
        self.assertRedirects(response, reverse("password_reset_done"))
        self.assertEqual(mail.outbox, [])

    def test_the_link_goes_to_the_stored_address_not_the_one_typed(self):
        with tasks_run_after(self):
            response = self.client.post(reverse("password_reset"), {"email": EMAIL_SPELLINGS[-1]})
        self.assertRedirects(response, reverse("password_reset_done"))
        self.assertEqual([message.to for message in mail.outbox], [[EMAIL]])
