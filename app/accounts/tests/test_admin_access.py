"""Only staff who logged in with a second factor use the admin; its login
page is ours."""

from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from accounts.tests.factories import (
    PASSWORD,
    code_of,
    give_second_factor,
    log_in_with_second_factor,
    make_user,
)
from audit.events import Event
from audit.models import SecurityEvent

ADMIN = reverse("admin:index")
ADMIN_LOGIN = reverse("admin:login")


class AdminAccessTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.staff = make_user("root", is_staff=True, is_superuser=True)
        cls.member = make_user("ada")

    def test_a_visitor_is_sent_to_our_login_and_back(self):
        response = self.client.get(ADMIN, follow=True)
        self.assertRedirects(response, f"{reverse('login')}?next={ADMIN}")

    def test_the_admins_login_page_holds_no_password_form(self):
        response = self.client.post(ADMIN_LOGIN, {"username": "root", "password": PASSWORD})
        self.assertRedirects(
            response, f"{reverse('login')}?next={ADMIN}", fetch_redirect_response=False
        )
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_staff_without_a_second_factor_are_refused_and_told_to_enrol(self):
        self.client.force_login(self.staff)
        response = self.client.get(ADMIN, follow=True)
        self.assertContains(response, "The admin needs a second factor", status_code=403)
        self.assertContains(response, reverse("two_factor_enable"), status_code=403)
        self.assertFalse(SecurityEvent.objects.filter(event=Event.ADMIN_LOGIN).exists())

    def test_staff_with_a_factor_who_logged_in_without_it_are_refused(self):
        give_second_factor(self.staff)
        self.client.force_login(self.staff)  # no code used in this session
        self.assertEqual(self.client.get(ADMIN, follow=True).status_code, 403)
        self.assertEqual(
            self.client.get(reverse("admin:accounts_user_changelist")).status_code, 302
        )

    def test_staff_who_logged_in_with_the_code_use_the_admin(self):
        device = give_second_factor(self.staff)
        self.client.post(
            reverse("login"), {"username": "root", "password": PASSWORD, "next": ADMIN}
        )
        response = self.client.post(reverse("login_code"), {"code": code_of(device)})
        self.assertRedirects(response, ADMIN)
        self.assertEqual(
            self.client.get(reverse("admin:accounts_user_changelist")).status_code, 200
        )

    def test_the_first_admin_page_of_a_login_is_an_audit_event_the_next_are_not(self):
        log_in_with_second_factor(self.client, self.staff)
        self.client.get(ADMIN)
        self.client.get(reverse("admin:accounts_user_changelist"))
        self.assertEqual(SecurityEvent.objects.filter(event=Event.ADMIN_LOGIN).count(), 1)

    def test_a_member_is_told_the_account_cannot_use_the_admin(self):
        log_in_with_second_factor(self.client, self.member)
        response = self.client.get(ADMIN, follow=True)
        self.assertContains(response, "cannot use the admin", status_code=403)

    def test_the_audit_trail_is_read_only_in_the_admin(self):
        log_in_with_second_factor(self.client, self.staff)
        event = SecurityEvent.objects.create(event=Event.LOGIN, user=self.member)
        changelist = reverse("admin:audit_securityevent_changelist")
        self.assertContains(self.client.get(changelist), "Logged in")
        self.assertEqual(self.client.get(reverse("admin:audit_securityevent_add")).status_code, 403)
        page = self.client.get(reverse("admin:audit_securityevent_change", args=[event.pk]))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="_save"')
        delete = reverse("admin:audit_securityevent_delete", args=[event.pk])
        self.assertEqual(self.client.post(delete, {"post": "yes"}).status_code, 403)
        self.assertTrue(SecurityEvent.objects.filter(pk=event.pk).exists())


class CreateSuperuserHintTests(TestCase):
    def test_createsuperuser_says_how_to_enrol_a_second_factor(self):
        output = StringIO()
        call_command(
            "createsuperuser",
            interactive=False,
            username="root",
            email="root@example.com",
            stdout=output,
        )
        self.assertIn("The admin needs a second factor", output.getvalue())
        self.assertIn("/accounts/two-factor/on/", output.getvalue())
