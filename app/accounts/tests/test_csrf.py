"""CSRF protection proven: every POST form fails without its token, works with it."""

from django.test import Client, TestCase
from django.urls import reverse

from accounts.tests.factories import NEW_PASSWORD, PASSWORD, csrf_token_in, make_user, signup_form


class CsrfTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def setUp(self):
        self.client = Client(enforce_csrf_checks=True)

    def token_from(self, url):
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        return csrf_token_in(page.content.decode())

    def assertCsrfProtected(self, url, data, expected_status):
        refused = self.client.post(url, data)
        self.assertEqual(refused.status_code, 403)
        self.assertTemplateUsed(refused, "403_csrf.html")
        self.assertContains(refused, "This form has expired", status_code=403)
        token = self.token_from(url)
        accepted = self.client.post(url, {**data, "csrfmiddlewaretoken": token})
        self.assertEqual(accepted.status_code, expected_status)

    def test_signup(self):
        data = signup_form("grace")
        self.assertCsrfProtected(reverse("signup"), data, 302)

    def test_login(self):
        data = {"username": "ada", "password": PASSWORD}
        self.assertCsrfProtected(reverse("login"), data, 302)

    def test_logout(self):
        self.client.force_login(self.user)
        refused = self.client.post(reverse("logout"))
        self.assertEqual(refused.status_code, 403)
        token = self.token_from(reverse("profile"))
        accepted = self.client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
        self.assertRedirects(accepted, reverse("home"))

    def test_password_change(self):
        self.client.force_login(self.user)
        data = {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        }
        self.assertCsrfProtected(reverse("password_change"), data, 302)

    def test_password_reset(self):
        self.assertCsrfProtected(reverse("password_reset"), {"email": "ada@example.com"}, 302)

    def test_password_reset_confirm(self):
        from django.contrib.auth.tokens import default_token_generator
        from django.utils.http import urlsafe_base64_encode

        uid = urlsafe_base64_encode(str(self.user.pk).encode())
        token = default_token_generator.make_token(self.user)
        form_url = self.client.get(
            reverse("password_reset_confirm", args=[uid, token]), follow=True
        ).redirect_chain[-1][0]
        data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        self.assertCsrfProtected(form_url, data, 302)
