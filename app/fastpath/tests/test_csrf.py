"""CSRF through what config.asgi serves, on both handlers, on views that have no CSRF
decorator of their own (so only the middleware stands guard): every unsafe
method without the token is refused with our 403 page and changes nothing;
with the token, the same request goes through."""

from urllib.parse import urlencode

from django.core import mail
from django.test import TransactionTestCase

from accounts.models import User
from accounts.tests.factories import NEW_PASSWORD, PASSWORD, make_user, signup_form
from config.tests.asgi import FORM, ServedApplicationMixin, run
from worker.tests.support import run_enqueued_tasks

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class CsrfBehaviour(ServedApplicationMixin):
    """The specification; a subclass per handler runs it."""

    def setUp(self):
        super().setUp()
        self.user = make_user()

    def send(self, method, path, data=None, token=None):
        """Send a form as a page of another site would: with the browser's
        cookies (this client has visited ``path``), without the token, unless
        ``token`` is given."""
        fields = dict(data or {})
        if token:
            fields["csrfmiddlewaretoken"] = token

        async def scenario():
            return await self.client.request(
                method, path, body=urlencode(fields).encode(), headers=FORM
            )

        return run(scenario)

    def token_from(self, page):
        async def scenario():
            return await self.client.csrf_token(page)

        return run(scenario)

    def assertRefusedOnEveryUnsafeMethod(self, path, data=None, page=None):
        self.token_from(page or path)  # the CSRF cookie is set, as in a real attack
        for method in UNSAFE_METHODS:
            with self.subTest(method=method):
                status, body = self.send(method, path, data)
                self.assertEqual(status, 403, body[:300])
                self.assertIn("This form has expired", body)

    def test_signup(self):
        data = signup_form("grace")
        self.assertRefusedOnEveryUnsafeMethod("/accounts/signup/", data)
        self.assertFalse(User.objects.filter(username="grace").exists())
        token = self.token_from("/accounts/signup/")
        self.assertEqual(self.send("POST", "/accounts/signup/", data, token)[0], 302)
        self.assertTrue(User.objects.filter(username="grace").exists())

    def test_password_reset(self):
        data = {"email": "ada@example.com"}
        self.assertRefusedOnEveryUnsafeMethod("/accounts/password_reset/", data)
        self.assertEqual(run_enqueued_tasks(), 0)
        self.assertEqual(len(mail.outbox), 0)
        token = self.token_from("/accounts/password_reset/")
        self.assertEqual(self.send("POST", "/accounts/password_reset/", data, token)[0], 302)
        self.assertEqual(run_enqueued_tasks(), 1)
        self.assertEqual(len(mail.outbox), 1)

    def test_password_change(self):
        self.client.log_in_as(self.user)
        data = {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        }
        self.assertRefusedOnEveryUnsafeMethod("/accounts/password_change/", data)
        self.user.refresh_from_db()
        self.assertTrue(self.user.check_password(PASSWORD))
        token = self.token_from("/accounts/password_change/")
        self.assertEqual(self.send("POST", "/accounts/password_change/", data, token)[0], 302)
        self.user.refresh_from_db()
        self.assertTrue(self.user.check_password(NEW_PASSWORD))

    def test_logout(self):
        self.client.log_in_as(self.user)
        self.assertRefusedOnEveryUnsafeMethod("/accounts/logout/", page="/accounts/profile/")
        self.assertEqual(run(self.client.get, "/accounts/profile/")[0], 200)
        token = self.token_from("/accounts/profile/")
        self.assertEqual(self.send("POST", "/accounts/logout/", token=token)[0], 302)
        self.assertEqual(run(self.client.get, "/accounts/profile/")[0], 302)

    def test_login(self):
        data = {"username": "ada", "password": PASSWORD}
        self.assertRefusedOnEveryUnsafeMethod("/accounts/login/", data)
        token = self.token_from("/accounts/login/")
        self.assertEqual(self.send("POST", "/accounts/login/", data, token)[0], 302)

    def test_a_view_with_no_protection_of_its_own(self):
        self.assertRefusedOnEveryUnsafeMethod("/t/any-method/", page="/accounts/login/")
        token = self.token_from("/accounts/login/")
        self.assertEqual(self.send("POST", "/t/any-method/", token=token), (200, "POST done"))
        for method in UNSAFE_METHODS:  # the token in a header, as a script sends it
            with self.subTest(method=method):
                answer = run(
                    self.client.request, method, "/t/any-method/", headers=[("x-csrftoken", token)]
                )
                self.assertEqual(answer, (200, f"{method} done"))


class OnTheFastPathTests(CsrfBehaviour, TransactionTestCase):
    handler_name = "fastpath"


class OnDjangosOwnHandlerTests(CsrfBehaviour, TransactionTestCase):
    handler_name = "django"
