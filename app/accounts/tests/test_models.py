from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase

from accounts.models import User


class UserModelTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = User.objects.create_user(
            username="ada", email="ada@example.com", password="correct-horse-battery"
        )

    def test_the_custom_user_is_the_auth_user_model(self):
        self.assertIs(get_user_model(), User)

    def test_create_user_makes_an_active_ordinary_user(self):
        self.assertEqual(self.user.username, "ada")
        self.assertEqual(self.user.email, "ada@example.com")
        self.assertTrue(self.user.is_active)
        self.assertFalse(self.user.is_staff)
        self.assertFalse(self.user.is_superuser)
        self.assertTrue(self.user.check_password("correct-horse-battery"))

    def test_create_superuser_makes_staff_and_superuser(self):
        admin = User.objects.create_superuser(
            username="root", email="root@example.com", password="correct-horse-battery"
        )
        self.assertTrue(admin.is_staff)
        self.assertTrue(admin.is_superuser)

    def test_create_user_refuses_a_missing_email(self):
        with self.assertRaisesMessage(ValueError, "Users must have an email address."):
            User.objects.create_user(username="noemail", email="", password="x")

    def test_createsuperuser_asks_for_the_email(self):
        self.assertIn("email", User.REQUIRED_FIELDS)

    def test_the_database_refuses_a_blank_email(self):
        with self.assertRaises(IntegrityError), transaction.atomic():
            User.objects.create(username="blank", email="")

    def test_the_database_refuses_the_same_email_in_another_case(self):
        with self.assertRaises(IntegrityError), transaction.atomic():
            User.objects.create(username="ada2", email="ADA@Example.COM")

    def test_model_validation_reports_the_same_email_in_another_case(self):
        twin = User(username="ada3", email="Ada@Example.com", password="x")
        with self.assertRaisesMessage(
            ValidationError, "A user with that email address already exists."
        ):
            twin.full_clean()

    def test_another_email_is_accepted(self):
        other = User.objects.create_user(username="grace", email="grace@example.com")
        self.assertEqual(User.objects.filter(pk=other.pk).count(), 1)
