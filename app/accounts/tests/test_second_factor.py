"""The second factor: turning it on with a code, logging in with it or a
recovery code, the throttle on codes, and turning it off."""

import re

from django.test import TestCase
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor
from accounts.models import RecoveryCode
from accounts.tests.factories import (
    PASSWORD,
    code_of,
    give_second_factor,
    make_authentication_stale,
    make_user,
)
from accounts.views.login import PENDING_LOGIN_KEY
from audit.events import Event
from audit.models import SecurityEvent


def events_of(user):
    return list(SecurityEvent.objects.filter(user=user).values_list("event", flat=True))


class EnrolmentTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("ada")

    def setUp(self):
        self.client.force_login(self.user)

    def enrolment_page(self):
        return self.client.get(reverse("two_factor_enable"))

    def device(self):
        return TOTPDevice.objects.get(user=self.user)

    def test_the_page_shows_a_qr_code_as_an_svg_data_uri_and_the_secret(self):
        page = self.enrolment_page()
        self.assertContains(page, 'src="data:image/svg+xml')
        secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.content.decode())
        key = second_factor.secret_text(self.device()).replace(" ", "")
        self.assertEqual(secret.group(1).replace(" ", ""), key)
        self.assertFalse(self.device().confirmed)

    def test_a_code_from_the_shown_secret_turns_it_on_and_shows_ten_recovery_codes_once(self):
        self.enrolment_page()
        response = self.client.post(reverse("two_factor_enable"), {"code": code_of(self.device())})
        self.assertTrue(self.device().confirmed)
        codes = re.findall(
            r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.content.decode()
        )
        self.assertEqual(len(set(codes)), 10)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertIn(Event.SECOND_FACTOR_ENABLED, events_of(self.user))
        self.assertTrue(self.client.get(reverse("profile")).wsgi_request.user.is_verified())

    def test_recovery_codes_are_stored_only_as_keyed_hashes(self):
        codes = second_factor.make_recovery_codes(self.user)
        stored = list(RecoveryCode.objects.values_list("digest", flat=True))
        self.assertEqual(len(stored), 10)
        for code in codes:
            plain = code.replace("-", "")
            self.assertFalse([digest for digest in stored if plain in digest])
            self.assertIn(second_factor.recovery_digests(code)[0], stored)

    def test_a_wrong_code_leaves_it_off(self):
        self.enrolment_page()
        wrong = f"{(int(code_of(self.device())) + 1) % 1_000_000:06d}"
        response = self.client.post(reverse("two_factor_enable"), {"code": wrong})
        self.assertContains(response, "That code is not right")
        self.assertFalse(self.device().confirmed)

    def test_the_secret_stays_the_same_until_confirmed(self):
        self.enrolment_page()
        key = self.device().key
        self.enrolment_page()
        self.assertEqual(TOTPDevice.objects.get(user=self.user).key, key)

    def test_turning_it_on_needs_a_recent_authentication(self):
        make_authentication_stale(self.client)
        self.assertRedirects(
            self.enrolment_page(),
            f"{reverse('reauthenticate')}?next={reverse('two_factor_enable')}",
        )


class LoginWithASecondFactorTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("ada")
        cls.device = give_second_factor(cls.user)
        cls.recovery_codes = second_factor.make_recovery_codes(cls.user)

    def log_in_with_password(self):
        response = self.client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
        self.assertRedirects(response, reverse("login_code"))

    def enter(self, code):
        return self.client.post(reverse("login_code"), {"code": code})

    def logged_in(self):
        return "_auth_user_id" in self.client.session

    def test_the_password_alone_logs_nobody_in(self):
        self.log_in_with_password()
        self.assertFalse(self.logged_in())
        self.assertRedirects(
            self.client.get(reverse("profile")), f"{reverse('login')}?next=/accounts/profile/"
        )

    def test_the_current_code_logs_in_verified(self):
        self.log_in_with_password()
        self.assertRedirects(self.enter(code_of(self.device)), reverse("profile"))
        self.assertTrue(self.logged_in())
        self.assertTrue(self.client.get(reverse("profile")).wsgi_request.user.is_verified())
        login = SecurityEvent.objects.get(event=Event.LOGIN, user=self.user)
        self.assertEqual(login.details, {"second_factor": "totpdevice"})

    def test_the_code_of_the_step_before_or_after_is_accepted(self):
        for steps in (-1, 1):
            with self.subTest(steps=steps):
                self.client.logout()
                TOTPDevice.objects.filter(pk=self.device.pk).update(last_t=-1, drift=0)
                self.log_in_with_password()
                self.assertRedirects(self.enter(code_of(self.device, steps)), reverse("profile"))

    def test_a_code_from_the_wrong_time_step_is_refused(self):
        for steps in (-3, -2, 2, 3):
            with self.subTest(steps=steps):
                self.log_in_with_password()
                response = self.enter(code_of(self.device, steps))
                self.assertContains(response, "That code is not right")
                self.assertFalse(self.logged_in())

    def test_a_code_works_once(self):
        code = code_of(self.device)
        self.log_in_with_password()
        self.enter(code)
        self.client.logout()
        self.log_in_with_password()
        self.assertContains(self.enter(code), "That code is not right")
        self.assertFalse(self.logged_in())

    def test_a_recovery_code_logs_in_once(self):
        code = self.recovery_codes[0]
        self.log_in_with_password()
        self.assertRedirects(self.enter(code.upper()), reverse("profile"))
        self.assertIn(Event.RECOVERY_CODE_USED, events_of(self.user))
        self.client.logout()
        self.log_in_with_password()
        self.assertContains(self.enter(code), "That code is not right")
        self.assertEqual(RecoveryCode.objects.count(), 9)

    def test_guessing_codes_is_throttled_like_passwords(self):
        self.log_in_with_password()
        statuses = [self.enter("000000").status_code for _ in range(6)]
        self.assertEqual(statuses, [200] * 5 + [429])
        # Over the limit even the right code is not tried.
        self.assertEqual(self.enter(code_of(self.device)).status_code, 429)
        self.assertFalse(self.logged_in())
        self.assertEqual(events_of(self.user).count(Event.SECOND_FACTOR_FAILED), 5)
        self.assertIn(Event.THROTTLED, events_of(self.user))

    def test_the_code_step_without_the_password_step_goes_to_login(self):
        self.assertRedirects(self.enter(code_of(self.device)), reverse("login"))
        self.assertFalse(self.logged_in())

    def test_the_code_step_expires(self):
        self.log_in_with_password()
        session = self.client.session
        session[PENDING_LOGIN_KEY]["at"] -= 301
        session.save()
        self.assertRedirects(self.enter(code_of(self.device)), reverse("login"))
        self.assertFalse(self.logged_in())

    def test_the_session_key_changes_at_the_password_step(self):
        self.client.get(reverse("login"))
        before = self.client.session.session_key
        self.log_in_with_password()
        self.assertNotEqual(self.client.session.session_key, before)


class TurningItOffTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("ada")

    def setUp(self):
        self.device = give_second_factor(self.user)
        self.client.force_login(self.user)

    def turn_off(self, **data):
        return self.client.post(reverse("two_factor_disable"), data)

    def test_the_password_and_a_code_turn_it_off(self):
        response = self.turn_off(password=PASSWORD, code=code_of(self.device))
        self.assertRedirects(response, reverse("profile"))
        self.assertFalse(second_factor.is_enabled(self.user))
        self.assertIn(Event.SECOND_FACTOR_DISABLED, events_of(self.user))

    def test_a_code_without_the_password_is_not_enough(self):
        response = self.turn_off(password="wrong", code=code_of(self.device))
        self.assertFormError(response.context["form"], "password", "That is not your password.")
        self.assertTrue(second_factor.is_enabled(self.user))

    def test_the_password_without_a_right_code_is_not_enough(self):
        response = self.turn_off(password=PASSWORD, code="123456")
        self.assertContains(response, "That code is not right")
        self.assertTrue(second_factor.is_enabled(self.user))

    def test_new_recovery_codes_replace_the_old_ones(self):
        old = second_factor.make_recovery_codes(self.user)
        response = self.client.post(reverse("two_factor_recovery_codes"))
        new = re.findall(r"<li><code>([a-z2-9-]{11})</code></li>", response.content.decode())
        self.assertEqual(len(new), 10)
        self.assertFalse(set(old) & set(new))
        self.assertIsNone(second_factor.verified_device(self.user, old[0]))
        self.assertIsNotNone(second_factor.verified_device(self.user, new[0]))
        self.assertIn(Event.RECOVERY_CODES_REPLACED, events_of(self.user))


class TotpIsDjangoOtpsTests(TestCase):
    def test_codes_are_rfc_6238_as_django_otp_computes_them(self):
        # RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" at T=59 s.
        totp = TOTP(b"12345678901234567890", step=30, t0=0, digits=8)
        totp.time = 59
        self.assertEqual(totp.token(), 94287082)
