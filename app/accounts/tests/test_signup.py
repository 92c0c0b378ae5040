from unittest import mock

from django.test import TestCase
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, make_user, signup_form
from accounts.tests.identity_rules import IDENTITY_RULES, TAKEN_EMAIL, TAKEN_USERNAME
from accounts.views.signup import SignupView

RACE_LOST = "That username or email was taken a moment ago. Try another."


class SignupTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.url = reverse("signup")
        cls.existing = make_user()

    def test_signup_page_is_at_accounts_signup(self):
        self.assertEqual(self.url, "/accounts/signup/")
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "registration/signup.html")
        for field in ("username", "email", "password1", "password2"):
            self.assertContains(response, f'name="{field}"')

    def test_valid_signup_creates_the_user_logs_in_and_redirects(self):
        response = self.client.post(self.url, signup_form())
        self.assertRedirects(response, reverse("profile"), fetch_redirect_response=False)
        user = User.objects.get(username="grace")
        self.assertFalse(user.email_verified)
        self.assertEqual(user.email, "grace@example.com")
        self.assertTrue(user.check_password(PASSWORD))
        self.assertEqual(int(self.client.session["_auth_user_id"]), user.pk)

    def test_weak_password_is_a_form_error(self):
        response = self.client.post(self.url, signup_form(password1="123456", password2="123456"))
        self.assertEqual(response.status_code, 200)
        errors = response.context["form"].errors["password2"]
        self.assertIn("This password is too common.", errors)
        self.assertIn("This password is entirely numeric.", errors)
        self.assertFalse(User.objects.filter(username="grace").exists())

    def test_mismatched_passwords_are_a_form_error(self):
        response = self.client.post(self.url, signup_form(password2=PASSWORD + "!"))
        self.assertEqual(response.status_code, 200)
        self.assertFormError(
            response.context["form"], "password2", "The two password fields didn\u2019t match."
        )

    def test_errors_are_shown_next_to_their_fields(self):
        response = self.client.post(self.url, signup_form(email="ADA@example.com"))
        self.assertContains(response, 'aria-invalid="true"')
        self.assertContains(response, 'id="id_email_error"')

    def test_a_logged_in_user_is_sent_to_the_profile(self):
        self.client.force_login(self.existing)
        self.assertRedirects(self.client.get(self.url), reverse("profile"))


def another_signup_first(**competitor):
    """Between the form's checks and its insert, another signup (``username``,
    ``email``) commits: the form found the name and email free, and only the
    database can still refuse the row."""
    form_valid = SignupView.form_valid

    def form_valid_after_the_competitor(view, form):
        User.objects.create_user(password=PASSWORD, **competitor)
        return form_valid(view, form)

    return mock.patch.object(SignupView, "form_valid", form_valid_after_the_competitor)


class SignupIdentityRulesTests(TestCase):
    """A bad username or email, or one taken in any spelling (see
    ``accounts.identity``), is a form error: the rules of ``identity_rules``,
    which the admin's forms hold too."""

    @classmethod
    def setUpTestData(cls):
        cls.url = reverse("signup")
        User.objects.create_user(username=TAKEN_USERNAME, email=TAKEN_EMAIL, password=PASSWORD)

    def test_every_rule_is_a_form_error_and_creates_no_one(self):
        for n, (field, value, message) in enumerate(IDENTITY_RULES):
            with self.subTest(field=field, value=value):
                # Each from an address of its own: the signup throttle is not under test.
                address = f"192.0.2.{n + 1}"
                response = self.client.post(
                    self.url, signup_form(**{field: value}), REMOTE_ADDR=address
                )
                self.assertEqual(response.status_code, 200)
                self.assertFormError(response.context["form"], field, message)
        self.assertEqual(User.objects.count(), 1)

    def test_a_username_taken_between_the_check_and_the_insert_is_a_form_error(self):
        with another_signup_first(username="Grace", email="someone@example.com"):
            response = self.client.post(
                self.url, signup_form(username="GRACE", email="grace@example.com")
            )
        self.assertEqual(response.status_code, 200)
        self.assertFormError(response.context["form"], None, RACE_LOST)
        self.assertEqual(User.objects.filter(username_canonical="grace").count(), 1)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_an_email_taken_between_the_check_and_the_insert_is_a_form_error(self):
        with another_signup_first(username="someone", email="Grace@Example.com"):
            response = self.client.post(self.url, signup_form(email="grace@example.com"))
        self.assertEqual(response.status_code, 200)
        self.assertFormError(response.context["form"], None, RACE_LOST)
        self.assertEqual(User.objects.filter(email_canonical="grace@example.com").count(), 1)
        self.assertNotIn("_auth_user_id", self.client.session)
