"""A ``next`` parameter never causes a 500 or an off-site redirect, and never
sends a user back to a page that would send them on again."""

from urllib.parse import quote

from django.test import TestCase
from django.urls import reverse

from accounts.tests.factories import PASSWORD, make_user, signup_form

PROFILE = "/accounts/profile/"

# The login page (and the other pages that send a logged-in user on), spelt
# every way a planted link might spell it.
BACK_AT_THE_LOGIN_PAGE = [
    "/accounts/login/",
    "/accounts/login/?next=/accounts/profile/",
    "/accounts/login/?next=/accounts/login/",
    "/accounts/login/?next=/accounts/login/%3Fnext%3D/accounts/login/",
    "/accounts/login",
    "/accounts/%6Cogin/",
    "/accounts/%6c%6f%67%69%6e",
    "/accounts/./login/",
    "/accounts/profile/../login/",
    "/accounts//login/",
    "http://testserver/accounts/login/",
    "//testserver/accounts/login/",
    "../login/",
    ".",
    "?next=/accounts/login/",
    "/accounts/signup/",
    "/accounts/signup",
    "/accounts/logout/",
    "/admin/login/",
]
OFF_SITE = [
    "//evil.example",
    "//evil.example/accounts/login/",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    " javascript:alert(1)",
    "\x00//evil.example",
]


def query(url):
    return "?next=" + quote(url, safe="")


class LoggedInLoginPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def setUp(self):
        self.client.force_login(self.user)

    def test_the_planted_link_to_the_login_page_leads_to_the_profile(self):
        response = self.client.get("/accounts/login/?next=/accounts/login/")
        self.assertRedirects(response, PROFILE)

    def test_next_back_at_the_login_page_in_any_spelling_leads_to_the_profile(self):
        for url in BACK_AT_THE_LOGIN_PAGE:
            with self.subTest(next=url):
                response = self.client.get("/accounts/login/" + query(url))
                self.assertRedirects(response, PROFILE, fetch_redirect_response=False)

    def test_next_off_site_leads_to_the_profile(self):
        for url in OFF_SITE:
            with self.subTest(next=url):
                response = self.client.get("/accounts/login/" + query(url))
                self.assertRedirects(response, PROFILE, fetch_redirect_response=False)


class LoginNextTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def log_in(self, next_url):
        return self.client.post(
            "/accounts/login/", {"username": "ada", "password": PASSWORD, "next": next_url}
        )

    def test_logging_in_with_next_at_the_login_page_goes_straight_to_the_profile(self):
        for url in BACK_AT_THE_LOGIN_PAGE:
            with self.subTest(next=url):
                self.client.logout()
                self.assertRedirects(self.log_in(url), PROFILE, fetch_redirect_response=False)

    def test_the_login_page_passes_a_safe_next_on_to_signup(self):
        response = self.client.get("/accounts/login/?next=/about/")
        self.assertContains(response, 'href="/accounts/signup/?next=/about/"')


class SignupNextTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def test_signup_follows_a_safe_next(self):
        response = self.client.post("/accounts/signup/", signup_form("grace", next="/about/"))
        self.assertRedirects(response, "/about/", fetch_redirect_response=False)

    def test_signup_ignores_a_next_off_site_or_at_an_account_page(self):
        for number, url in enumerate(OFF_SITE + BACK_AT_THE_LOGIN_PAGE):
            with self.subTest(next=url):
                self.client.logout()
                response = self.client.post(
                    "/accounts/signup/",
                    signup_form(f"user{number}", next=url),
                    REMOTE_ADDR=f"192.0.2.{number}",  # each its own signup budget
                )
                self.assertRedirects(response, PROFILE, fetch_redirect_response=False)

    def test_the_signup_page_passes_a_safe_next_on(self):
        response = self.client.get("/accounts/signup/?next=/about/")
        self.assertContains(response, '<input type="hidden" name="next" value="/about/">')
        self.assertContains(response, 'href="/accounts/login/?next=/about/"')

    def test_a_logged_in_user_on_the_signup_page_follows_a_safe_next(self):
        self.client.force_login(self.user)
        self.assertRedirects(self.client.get("/accounts/signup/?next=/about/"), "/about/")

    def test_a_logged_in_user_on_the_signup_page_never_loops(self):
        self.client.force_login(self.user)
        for url in BACK_AT_THE_LOGIN_PAGE + OFF_SITE:
            with self.subTest(next=url):
                response = self.client.get("/accounts/signup/" + query(url))
                self.assertRedirects(response, PROFILE, fetch_redirect_response=False)


class LogoutNextTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def log_out(self, next_url):
        self.client.force_login(self.user)
        return self.client.post("/accounts/logout/" + query(next_url))

    def test_next_back_at_a_logout_page_leads_home(self):
        for url in [
            "/accounts/logout/",
            "/accounts/logout",
            "/accounts/%6Cogout/",
            "/admin/logout/",
        ]:
            with self.subTest(next=url):
                self.assertRedirects(self.log_out(url), "/", fetch_redirect_response=False)

    def test_next_off_site_leads_home(self):
        for url in OFF_SITE:
            with self.subTest(next=url):
                self.assertRedirects(self.log_out(url), "/", fetch_redirect_response=False)

    def test_a_safe_next_is_followed(self):
        self.assertRedirects(self.log_out("/accounts/login/"), "/accounts/login/")


class PasswordResetNextTests(TestCase):
    def test_a_planted_next_is_ignored(self):
        for number, url in enumerate([*OFF_SITE, "/accounts/login/"]):
            with self.subTest(next=url):
                response = self.client.post(
                    reverse("password_reset") + query(url),
                    {"email": f"nobody{number}@example.com", "next": url},
                    REMOTE_ADDR=f"192.0.2.{number}",  # each its own reset budget
                )
                self.assertRedirects(response, reverse("password_reset_done"))
