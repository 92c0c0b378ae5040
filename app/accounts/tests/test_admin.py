from django.test import TestCase
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, log_in_with_second_factor
from accounts.tests.identity_rules import AT_SIGN, IDENTITY_RULES, TAKEN_EMAIL, TAKEN_USERNAME


class UserAdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = User.objects.create_superuser(
            username="root", email="root@example.com", password="correct-horse-battery"
        )
        cls.member = User.objects.create_user(
            username="ada", email="ada@example.com", password="correct-horse-battery"
        )

    def setUp(self):
        log_in_with_second_factor(self.client, self.admin)

    def test_user_list_shows_the_email_column(self):
        response = self.client.get(reverse("admin:accounts_user_changelist"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "column-email")
        self.assertContains(response, "ada@example.com")

    def test_user_list_searches_by_email(self):
        response = self.client.get(reverse("admin:accounts_user_changelist"), {"q": "ada@exa"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(list(response.context["cl"].result_list), [self.member])

    def test_user_list_filters_by_staff_status(self):
        response = self.client.get(
            reverse("admin:accounts_user_changelist"), {"is_staff__exact": "1"}
        )
        self.assertEqual(list(response.context["cl"].result_list), [self.admin])

    def test_add_page_asks_for_the_email(self):
        response = self.client.get(reverse("admin:accounts_user_add"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="email"')

    def test_admin_can_add_a_user_with_an_email(self):
        response = self.client.post(
            reverse("admin:accounts_user_add"),
            {
                "username": "grace",
                "email": "grace@example.com",
                "usable_password": "true",
                "password1": "a-long-unusual-passphrase",
                "password2": "a-long-unusual-passphrase",
            },
        )
        created = User.objects.get(username="grace")
        self.assertRedirects(response, reverse("admin:accounts_user_change", args=[created.pk]))
        self.assertEqual(created.email, "grace@example.com")
        self.assertTrue(created.check_password("a-long-unusual-passphrase"))

    def test_add_form_reports_a_taken_email_in_another_case(self):
        response = self.client.post(
            reverse("admin:accounts_user_add"),
            {
                "username": "impostor",
                "email": "ADA@example.com",
                "usable_password": "true",
                "password1": "a-long-unusual-passphrase",
                "password2": "a-long-unusual-passphrase",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertFormError(
            response.context["adminform"].form,
            "email",
            "A user with that email address already exists.",
        )
        self.assertFalse(User.objects.filter(username="impostor").exists())

    def test_change_page_shows_and_saves_the_email(self):
        url = reverse("admin:accounts_user_change", args=[self.member.pk])
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'value="ada@example.com"')
        data = {
            "username": "ada",
            "email": "ada.lovelace@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        }
        response = self.client.post(url, data)
        self.assertRedirects(response, reverse("admin:accounts_user_changelist"))
        self.member.refresh_from_db()
        self.assertEqual(self.member.email, "ada.lovelace@example.com")


class UserAdminIdentityRulesTests(TestCase):
    """The admin's add and change forms hold the signup's rules
    (``identity_rules``): a bad or taken username or email is a form error."""

    @classmethod
    def setUpTestData(cls):
        cls.admin = User.objects.create_superuser(
            username="root", email="root@example.com", password=PASSWORD
        )
        User.objects.create_user(username=TAKEN_USERNAME, email=TAKEN_EMAIL, password=PASSWORD)
        cls.change_url = reverse("admin:accounts_user_change", args=[cls.admin.pk])

    def setUp(self):
        log_in_with_second_factor(self.client, self.admin)

    def add(self, **fields):
        data = {
            "username": "grace",
            "email": "grace@example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **fields,
        }
        return self.client.post(reverse("admin:accounts_user_add"), data)

    def change(self, **fields):
        data = {
            "username": "root",
            "email": "root@example.com",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            **fields,
        }
        return self.client.post(self.change_url, data)

    def assertFieldError(self, response, field, message):
        self.assertEqual(response.status_code, 200)
        self.assertFormError(response.context["adminform"].form, field, message)

    def test_add_form_holds_every_rule_of_signup(self):
        for field, value, message in IDENTITY_RULES:
            with self.subTest(field=field, value=value):
                self.assertFieldError(self.add(**{field: value}), field, message)
        self.assertEqual(User.objects.count(), 2)

    def test_change_form_holds_every_rule_of_signup(self):
        for field, value, message in IDENTITY_RULES:
            with self.subTest(field=field, value=value):
                self.assertFieldError(self.change(**{field: value}), field, message)
        self.admin.refresh_from_db()
        self.assertEqual((self.admin.username, self.admin.email), ("root", "root@example.com"))

    def test_change_form_refuses_a_username_that_is_another_users_email(self):
        self.assertFieldError(self.change(username=TAKEN_EMAIL), "username", AT_SIGN)

    def test_change_form_accepts_the_users_own_name_and_email_in_another_spelling(self):
        response = self.change(username="ROOT", email="Root@Example.com")
        self.assertRedirects(response, reverse("admin:accounts_user_changelist"))
        self.admin.refresh_from_db()
        self.assertEqual((self.admin.username, self.admin.username_canonical), ("ROOT", "root"))
