from unittest import mock

from django.test import TestCase
from django.urls import reverse

from accounts.forms import SignupForm
from accounts.models import User
from accounts.tests.spellings import EMAIL, EMAIL_SPELLINGS, USERNAME, USERNAME_SPELLINGS

PASSWORD = "a-long-unusual-passphrase"
RACE_LOST = "That username or email was taken a moment ago. Try another."


def signup_data(**overrides):
    data = {
        "username": "grace",
        "email": "grace@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


class SignupTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.url = reverse("signup")
        cls.existing = User.objects.create_user(
            username="ada", email="ada@example.com", password=PASSWORD
        )

    def test_signup_page_is_at_accounts_signup(self):
        self.assertEqual(self.url, "/accounts/signup/")
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "registration/signup.html")
        for field in ("username", "email", "password1", "password2"):
            self.assertContains(response, f'name="{field}"')

    def test_valid_signup_creates_the_user_logs_in_and_redirects(self):
        response = self.client.post(self.url, signup_data())
        self.assertRedirects(response, reverse("profile"))
        user = User.objects.get(username="grace")
        self.assertEqual(user.email, "grace@example.com")
        self.assertTrue(user.check_password(PASSWORD))
        self.assertEqual(int(self.client.session["_auth_user_id"]), user.pk)

    def test_taken_username_in_another_case_is_a_form_error(self):
        response = self.client.post(self.url, signup_data(username="ADA"))
        self.assertEqual(response.status_code, 200)
        self.assertFormError(
            response.context["form"], "username", "A user with that username already exists."
        )
        self.assertEqual(User.objects.count(), 1)

    def test_taken_email_in_another_case_is_a_form_error(self):
        response = self.client.post(self.url, signup_data(email="Ada@EXAMPLE.com"))
        self.assertEqual(response.status_code, 200)
        self.assertFormError(
            response.context["form"], "email", "A user with that email address already exists."
        )
        self.assertEqual(User.objects.count(), 1)

    def test_weak_password_is_a_form_error(self):
        response = self.client.post(self.url, signup_data(password1="123456", password2="123456"))
        self.assertEqual(response.status_code, 200)
        errors = response.context["form"].errors["password2"]
        self.assertIn("This password is too common.", errors)
        self.assertIn("This password is entirely numeric.", errors)
        self.assertFalse(User.objects.filter(username="grace").exists())

    def test_mismatched_passwords_are_a_form_error(self):
        response = self.client.post(self.url, signup_data(password2=PASSWORD + "!"))
        self.assertEqual(response.status_code, 200)
        self.assertFormError(
            response.context["form"], "password2", "The two password fields didn\u2019t match."
        )

    def test_missing_email_is_a_form_error(self):
        response = self.client.post(self.url, signup_data(email=""))
        self.assertFormError(response.context["form"], "email", "This field is required.")

    def test_username_with_an_at_sign_is_refused(self):
        response = self.client.post(self.url, signup_data(username="bob@example.com"))
        self.assertFormError(
            response.context["form"],
            "username",
            "A username cannot contain @. You can log in with your email as well.",
        )

    def test_errors_are_shown_next_to_their_fields(self):
        response = self.client.post(self.url, signup_data(email="ADA@example.com"))
        self.assertContains(response, 'aria-invalid="true"')
        self.assertContains(response, 'id="id_email_error"')

    def test_a_logged_in_user_is_sent_to_the_profile(self):
        self.client.force_login(self.existing)
        self.assertRedirects(self.client.get(self.url), reverse("profile"))


def without_the_forms_own_check(field):
    """The form as it is when another signup takes ``field`` between the
    form's check and the insert: only the database can still refuse."""
    return mock.patch.object(SignupForm, f"clean_{field}", lambda form: form.cleaned_data[field])


class SignupSpellingTests(TestCase):
    """A username or email is taken in every spelling (see accounts.identity)."""

    @classmethod
    def setUpTestData(cls):
        cls.url = reverse("signup")
        User.objects.create_user(username=USERNAME, email=EMAIL, password=PASSWORD)

    def test_a_username_taken_in_another_spelling_is_a_form_error(self):
        for spelling in USERNAME_SPELLINGS:
            with self.subTest(spelling=spelling):
                response = self.client.post(self.url, signup_data(username=spelling))
                self.assertFormError(
                    response.context["form"],
                    "username",
                    "A user with that username already exists.",
                )
        self.assertEqual(User.objects.count(), 1)

    def test_an_email_taken_in_another_spelling_is_a_form_error(self):
        for spelling in EMAIL_SPELLINGS:
            with self.subTest(spelling=spelling):
                response = self.client.post(self.url, signup_data(email=spelling))
                self.assertFormError(
                    response.context["form"],
                    "email",
                    "A user with that email address already exists.",
                )
        self.assertEqual(User.objects.count(), 1)

    def test_losing_the_race_for_a_username_at_the_database_is_a_form_error(self):
        with without_the_forms_own_check("username"):
            response = self.client.post(self.url, signup_data(username=USERNAME_SPELLINGS[0]))
        self.assertEqual(response.status_code, 200)
        self.assertFormError(response.context["form"], None, RACE_LOST)
        self.assertEqual(User.objects.count(), 1)

    def test_losing_the_race_for_an_email_at_the_database_is_a_form_error(self):
        with without_the_forms_own_check("email"):
            response = self.client.post(self.url, signup_data(email=EMAIL_SPELLINGS[-1]))
        self.assertEqual(response.status_code, 200)
        self.assertFormError(response.context["form"], None, RACE_LOST)
        self.assertEqual(User.objects.count(), 1)

    def test_an_email_whose_canonical_form_would_not_fit_is_a_form_error(self):
        # U+FDFA is valid in a domain, and NFKC makes it eighteen characters.
        response = self.client.post(self.url, signup_data(email="a@" + "\ufdfa" * 40 + ".com"))
        self.assertFormError(response.context["form"], "email", "This email address is too long.")
