"""Random and hostile data posted to every account form: never a 500, and
every change is whole or absent: a signup either makes the user it was sent,
whole, or nobody; a password change either sets the password it was sent, or
none (property-based, with hypothesis)."""

from urllib.parse import quote_from_bytes

from django.contrib.auth.hashers import identify_hasher
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.identity import canonical_email, canonical_username
from accounts.models import User
from accounts.tests.factories import NEW_PASSWORD, PASSWORD, make_user

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


@st.composite
def spoiled_signups(draw):
    """A valid signup with hostile changes: a field replaced, repeated or
    dropped, and fields nobody asked for."""
    n = draw(st.integers(min_value=0, max_value=10**6))
    fields = {
        "username": [f"user{n}"],
        "email": [f"user{n}@example.com"],
        "password1": [PASSWORD],
        "password2": [PASSWORD],
    }
    for name in draw(st.sets(st.sampled_from(sorted(fields)), max_size=2)):
        change = draw(st.sampled_from(["replace", "repeat", "drop"]))
        value = draw(hostile_text)
        fields[name] = {
            "replace": [value],
            "repeat": [*fields[name], value],
            "drop": [],
        }[change]
    parts = [f"{name}={quote_from_bytes(v.encode())}" for name, vs in fields.items() for v in vs]
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        name = draw(st.text(max_size=20)).encode()
        parts.append(f"{quote_from_bytes(name)}={quote_from_bytes(draw(raw_bytes))}")
    return "&".join(parts).encode()


def assert_every_user_is_whole(testcase):
    """Every row is a user that could have been made through a form: valid
    fields, canonical forms that match them, a real password hash."""
    for user in User.objects.all():
        testcase.assertEqual(user.username_canonical, canonical_username(user.username))
        testcase.assertEqual(user.email_canonical, canonical_email(user.email))
        identify_hasher(user.password)  # raises unless it is a hash we made
        user.full_clean()


def sent(body):
    """The form as the view read it (the last of repeated fields wins)."""
    return QueryDict(body)


class HostileInputTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    def post(self, path, body):
        response = self.client.post(
            path, data=body, content_type="application/x-www-form-urlencoded"
        )
        self.assertIn(response.status_code, ACCEPTABLE)
        assert_every_user_is_whole(self)
        return response

    def sign_up(self, body):
        before = set(User.objects.values_list("pk", flat=True))
        response = self.post(FORMS["signup"][0], body)
        created = User.objects.exclude(pk__in=before)
        if response.status_code != 302:
            self.assertFalse(created.exists(), "a refused signup left a user behind")
            return
        (user,) = created
        form = sent(body)
        self.assertEqual((user.username, user.email), (form["username"], form["email"]))
        self.assertTrue(user.check_password(form["password1"]))
        self.client.logout()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies(FORMS["signup"][1]))
    def test_signup(self, body):
        self.sign_up(body)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=spoiled_signups())
    def test_signup_of_a_valid_form_with_hostile_changes(self, body):
        self.sign_up(body)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies(FORMS["login"][1]))
    def test_login(self, body):
        self.post(FORMS["login"][0], body)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies(FORMS["password_reset"][1]))
    def test_password_reset(self, body):
        self.post(FORMS["password_reset"][0], body)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        body=st.one_of(
            bodies(FORMS["password_change"][1]),
            st.builds(
                lambda extra: (
                    f"old_password={PASSWORD}&new_password1={NEW_PASSWORD}"
                    f"&new_password2={NEW_PASSWORD}&{quote_from_bytes(extra)}"
                ).encode(),
                raw_bytes,
            ),
        )
    )
    def test_password_change(self, body):
        self.client.force_login(self.user)
        response = self.post(FORMS["password_change"][0], body)
        user = User.objects.get(pk=self.user.pk)
        if response.status_code == 302:
            self.assertTrue(user.check_password(sent(body)["new_password1"]))
            user.set_password(PASSWORD)  # for the next example
            user.save()
        else:
            self.assertTrue(user.check_password(PASSWORD), "a refused change changed it")

    def test_a_huge_body_is_refused_not_a_500(self):
        huge = b"username=" + b"a" * 3_000_000 + b"&password=x"
        self.post(FORMS["login"][0], huge)
