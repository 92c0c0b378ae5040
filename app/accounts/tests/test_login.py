from django.contrib.auth import SESSION_KEY
from django.test import TestCase
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, make_user
from accounts.tests.spellings import (
    EMAIL,
    EMAIL_SPELLINGS,
    USERNAME,
    USERNAME_SPELLINGS,
)


class LoginTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.url = reverse("login")
        cls.user = make_user()

    def login(self, username, password=PASSWORD, **extra):
        return self.client.post(self.url, {"username": username, "password": password}, **extra)

    def assertLoggedIn(self):
        self.assertEqual(int(self.client.session[SESSION_KEY]), self.user.pk)

    def test_login_page_labels_the_field_for_username_or_email(self):
        response = self.client.get(self.url)
        self.assertEqual(self.url, "/accounts/login/")
        self.assertContains(response, '<label for="id_username">Username or email:</label>')
        self.assertContains(response, "csrfmiddlewaretoken")

    def test_login_with_the_username(self):
        self.assertRedirects(self.login("ada"), reverse("profile"))
        self.assertLoggedIn()

    def test_login_with_the_username_in_another_case(self):
        self.assertRedirects(self.login("ADA"), reverse("profile"))
        self.assertLoggedIn()

    def test_login_with_the_email_in_any_case(self):
        self.assertRedirects(self.login("Ada@Example.COM"), reverse("profile"))
        self.assertLoggedIn()

    def test_login_follows_a_safe_next(self):
        response = self.client.post(
            self.url + "?next=/about/", {"username": "ada", "password": PASSWORD}
        )
        self.assertRedirects(response, "/about/")

    def test_wrong_password_is_a_form_error(self):
        response = self.login("ada", "not-the-password")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "did not match")
        self.assertNotIn(SESSION_KEY, self.client.session)

    def test_unknown_user_gets_the_same_error(self):
        response = self.login("nobody@example.com")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "did not match")

    def test_inactive_user_cannot_log_in(self):
        User.objects.filter(pk=self.user.pk).update(is_active=False)
        response = self.login("ada")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(SESSION_KEY, self.client.session)

    def test_the_session_key_rotates_at_login(self):
        self.client.get(self.url)
        session = self.client.session
        session["before_login"] = True
        session.save()
        before = session.session_key
        self.login("ada")
        self.assertNotEqual(self.client.session.session_key, before)
        self.assertLoggedIn()

    def test_the_header_shows_a_logout_button_when_logged_in(self):
        self.client.force_login(self.user)
        response = self.client.get("/")
        self.assertContains(response, f'<form method="post" action="{reverse("logout")}">')
        self.assertContains(response, "csrfmiddlewaretoken")
        self.assertContains(response, "Log out</button>")
        self.assertNotContains(response, reverse("signup"))


class LoginSpellingTests(TestCase):
    """Any spelling of the username or of the email logs in (accounts.identity)."""

    @classmethod
    def setUpTestData(cls):
        cls.user = make_user(USERNAME, email=EMAIL)

    def assertLogsIn(self, identifier):
        self.client.logout()
        response = self.client.post(
            reverse("login"), {"username": identifier, "password": PASSWORD}
        )
        self.assertRedirects(response, reverse("profile"))
        self.assertEqual(int(self.client.session[SESSION_KEY]), self.user.pk)

    def test_login_with_any_spelling_of_the_email(self):
        for spelling in [EMAIL, *EMAIL_SPELLINGS]:
            with self.subTest(spelling=spelling):
                self.assertLogsIn(spelling)

    def test_login_with_any_spelling_of_the_username(self):
        for spelling in [USERNAME, *USERNAME_SPELLINGS]:
            with self.subTest(spelling=spelling):
                self.assertLogsIn(spelling)


class LogoutTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def setUp(self):
        self.client.force_login(self.user)

    def test_logout_by_post_ends_the_session(self):
        response = self.client.post(reverse("logout"))
        self.assertRedirects(response, reverse("home"))
        self.assertNotIn(SESSION_KEY, self.client.session)

    def test_logout_by_get_is_refused_with_405(self):
        response = self.client.get(reverse("logout"))
        self.assertEqual(response.status_code, 405)
        self.assertIn(SESSION_KEY, self.client.session)


class ProfileTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def test_profile_needs_login(self):
        response = self.client.get(reverse("profile"))
        self.assertRedirects(response, f"{reverse('login')}?next={reverse('profile')}")

    def test_profile_shows_the_user(self):
        self.client.force_login(self.user)
        response = self.client.get(reverse("profile"))
        self.assertContains(response, "ada@example.com")
        self.assertContains(response, reverse("password_change"))
