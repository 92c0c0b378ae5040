"""Random and hostile data posted to every account form: never a 500, never
a user half-created (property-based, with hypothesis)."""

from urllib.parse import quote_from_bytes

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import User

PASSWORD = "a-long-unusual-passphrase"
FORMS = {
    "signup": ("/accounts/signup/", ["username", "email", "password1", "password2"]),
    "login": ("/accounts/login/", ["username", "password"]),
    "password_reset": ("/accounts/password_reset/", ["email"]),
    "password_change": (
        "/accounts/password_change/",
        ["old_password", "new_password1", "new_password2"],
    ),
}
# Whatever arrives, the answer is one of these: a page with errors, a
# redirect, a refusal. Never a server error.
ACCEPTABLE = {200, 302, 400, 403, 413, 429}

hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(["\x00", "\u202e", "a" * 10_000, "<script>", "' OR 1=1 --", "%00", "\r\n"]),
)
raw_bytes = st.binary(max_size=200)  # invalid UTF-8 once percent-encoded


@st.composite
def bodies(draw, fields):
    """A urlencoded body: some fields missing, some repeated, any values."""
    parts = []
    for field in fields:
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            value = draw(st.one_of(hostile_text.map(str.encode), raw_bytes))
            parts.append(f"{field}={quote_from_bytes(value)}")
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        name = draw(st.text(max_size=20)).encode()
        parts.append(f"{quote_from_bytes(name)}={quote_from_bytes(draw(raw_bytes))}")
    return "&".join(parts).encode()


def assert_no_half_created_user(testcase):
    for user in User.objects.all():
        testcase.assertTrue(user.username)
        testcase.assertTrue(user.email)
        testcase.assertTrue(user.password)


class HostileInputTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = User.objects.create_user("ada", "ada@example.com", PASSWORD)

    def post(self, path, body):
        response = self.client.post(
            path, data=body, content_type="application/x-www-form-urlencoded"
        )
        self.assertIn(response.status_code, ACCEPTABLE)
        assert_no_half_created_user(self)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies(FORMS["signup"][1]))
    def test_signup(self, body):
        self.post(FORMS["signup"][0], body)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies(FORMS["login"][1]))
    def test_login(self, body):
        self.post(FORMS["login"][0], body)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies(FORMS["password_reset"][1]))
    def test_password_reset(self, body):
        self.post(FORMS["password_reset"][0], body)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies(FORMS["password_change"][1]))
    def test_password_change(self, body):
        self.client.force_login(self.user)
        self.post(FORMS["password_change"][0], body)
        self.assertTrue(User.objects.get(pk=self.user.pk).password)

    def test_a_huge_body_is_refused_not_a_500(self):
        huge = b"username=" + b"a" * 3_000_000 + b"&password=x"
        self.post(FORMS["login"][0], huge)
