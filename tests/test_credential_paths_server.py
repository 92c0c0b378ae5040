"""Credential paths through the real server process: the signup and
password-change throttles, the bound on password hashing, and planted
``next`` links. The server hashes with Django's real hasher (PBKDF2)."""

import threading

import pytest
from django.db import connection
from django.test import SimpleTestCase, TransactionTestCase

from accounts.tests.factories import NEW_PASSWORD, PASSWORD, csrf_token_in
from tests.support import (
    FormClient,
    LiveServerMixin,
    manage,
    mark_verified,
    server_environment,
    sign_up,
)

pytestmark = pytest.mark.server


class ServerMixin(LiveServerMixin):
    """One real server for the class, and users signed up through it."""

    def signed_up_client(self, username):
        """A FormClient logged in as a new user."""
        client = FormClient(self.server.url)
        status, _, _ = client.submit(
            "/accounts/signup/",
            {
                "username": username,
                "email": f"{username}@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
        self.assertEqual(status, 302, self.server.output()[-2000:])
        mark_verified(username)
        return client


class CredentialThrottlesOnTheServerTests(ServerMixin, TransactionTestCase):
    server_env = {
        "SIGNUP_THROTTLE_ADDRESS_LIMIT": "3",
        "PASSWORD_CHANGE_THROTTLE_ACCOUNT_LIMIT": "2",
    }

    def test_signups_from_one_address_get_429_after_the_limit(self):
        statuses = [sign_up(self.server.url, f"user{n}", PASSWORD)[0] for n in range(4)]
        self.assertEqual(statuses, [302, 302, 302, 429])

    def test_the_429_says_when_to_retry(self):
        for n in range(3):
            sign_up(self.server.url, f"user{n}", PASSWORD)
        status, headers, page = FormClient(self.server.url).submit(
            "/accounts/signup/", {"username": "late", "email": "late@example.com"}
        )
        self.assertEqual(status, 429)
        self.assertTrue(3590 <= int(headers["Retry-After"]) <= 3600)
        self.assertIn("Too many attempts", page)

    def test_password_change_gets_429_after_the_limit_even_with_the_right_password(self):
        client = self.signed_up_client("ada")

        def change(old):
            status, headers, _ = client.submit(
                "/accounts/password_change/",
                {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            )
            return status, headers

        self.assertEqual(change("wrong")[0], 200)
        self.assertEqual(change("wrong")[0], 200)
        status, headers = change(PASSWORD)
        self.assertEqual(status, 429)
        self.assertTrue(890 <= int(headers["Retry-After"]) <= 900)
        login = FormClient(self.server.url).submit(
            "/accounts/login/", {"username": "ada", "password": PASSWORD}
        )
        self.assertEqual(login[0], 302, "the old password should still be the password")


class PlantedNextLinksOnTheServerTests(ServerMixin, TransactionTestCase):
    def test_a_logged_in_user_opening_the_login_page_with_next_at_itself_lands_on_the_profile(self):
        client = self.signed_up_client("ada")
        for query in [
            "?next=/accounts/login/",
            "?next=/accounts/login",
            "?next=/accounts/%256Cogin/",
            "?next=/accounts/login/%3Fnext%3D/accounts/login/",
            "?next=http://127.0.0.1/accounts/login/",
            "?next=//evil.example",
            "?next=/%5Cevil.example",
            "?next=javascript:alert(1)",
        ]:
            with self.subTest(query=query):
                status, headers, _ = client.request("/accounts/login/" + query)
                self.assertEqual((status, headers["Location"]), (302, "/accounts/profile/"))
        self.assertNotIn('"status": 500', self.server.output())

    def test_logout_with_next_at_itself_goes_home(self):
        client = self.signed_up_client("ada")
        _, _, page = client.request("/accounts/profile/")
        token = csrf_token_in(page)
        status, headers, _ = client.request(
            "/accounts/logout/?next=/accounts/logout/", {"csrfmiddlewaretoken": token}
        )
        self.assertEqual((status, headers["Location"]), (302, "/"))


class PasswordHashingBoundOnTheServerTests(ServerMixin, TransactionTestCase):
    # One hashing request at a time and no waiting: of logins sent at once,
    # all but the one hashing are turned away.
    server_env = {
        "PASSWORD_HASHING_CONCURRENCY": "1",
        "PASSWORD_HASHING_WAIT": "0",
        "LOGIN_THROTTLE_ACCOUNT_LIMIT": "10000",
        "LOGIN_THROTTLE_ADDRESS_LIMIT": "10000",
    }

    def test_excess_hashing_requests_get_503_while_a_cheap_page_still_answers(self):
        profile = self.signed_up_client("ada")
        logins = []
        for _ in range(8):
            client = FormClient(self.server.url)
            _, _, page = client.request("/accounts/login/")
            token = csrf_token_in(page)
            logins.append((client, token))
        start = threading.Barrier(len(logins) + 1)
        answers = []
        cheap = []

        def log_in(client, token):
            start.wait()
            data = {"username": "ada", "password": "wrong", "csrfmiddlewaretoken": token}
            status, headers, _ = client.request("/accounts/login/", data)
            answers.append((status, headers.get("Retry-After")))

        def browse():
            start.wait()
            for _ in range(5):
                cheap.append(profile.request("/accounts/profile/")[0])

        threads = [threading.Thread(target=log_in, args=pair) for pair in logins]
        threads.append(threading.Thread(target=browse))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        statuses = sorted(status for status, _ in answers)
        self.assertEqual(len(answers), 8)
        self.assertLessEqual(set(statuses), {200, 503}, statuses)
        self.assertIn(200, statuses, "no login was served")
        self.assertIn(503, statuses, "no login was turned away")
        self.assertTrue(all(retry == "5" for status, retry in answers if status == 503))
        self.assertEqual(cheap, [200] * 5)


class PasswordHashingConfigurationTests(SimpleTestCase):
    def test_a_bound_not_below_the_pool_stops_start_up_with_one_line(self):
        result = manage(
            "check",
            env=server_environment(
                connection.settings_dict,
                PASSWORD_HASHING_CONCURRENCY="4",
                DATABASE_POOL_MAX_SIZE="4",
            ),
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(
            "PASSWORD_HASHING_CONCURRENCY (4) is not below DATABASE_POOL_MAX_SIZE (4)",
            result.stderr,
        )
