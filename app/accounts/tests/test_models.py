from io import StringIO

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import F
from django.test import TestCase

from accounts.models import User
from accounts.tests.spellings import EMAIL, EMAIL_SPELLINGS, USERNAME, USERNAME_SPELLINGS


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


class CanonicalFormTests(TestCase):
    """The canonical columns follow the username and the email on every path
    that saves a user, and the database holds the rules on them."""

    @classmethod
    def setUpTestData(cls):
        cls.kate = User.objects.create_user(username=USERNAME, email=EMAIL, password="x")

    def refused(self, **fields):
        fields = {"username": "fresh", "email": "fresh@example.com", **fields}
        with self.assertRaises(IntegrityError), transaction.atomic():
            User.objects.create(**fields)

    def test_create_user_stores_the_canonical_forms_beside_the_spelling_typed(self):
        self.kate.refresh_from_db()
        self.assertEqual((self.kate.username, self.kate.email), (USERNAME, EMAIL))
        self.assertEqual(self.kate.username_canonical, "strasse")
        self.assertEqual(self.kate.email_canonical, "kate@xn--bcher-kva.example")

    def test_createsuperuser_fills_the_canonical_forms(self):
        call_command(
            "createsuperuser",
            "--noinput",
            username="Root",
            email="Root@B\u00fccher.example",
            stdout=StringIO(),
        )
        root = User.objects.get(username="Root")
        self.assertEqual(root.username_canonical, "root")
        self.assertEqual(root.email_canonical, "root@xn--bcher-kva.example")

    def test_saving_a_new_email_with_update_fields_updates_its_canonical_form(self):
        self.kate.email = "Kate@Example.com"
        self.kate.save(update_fields=["email"])
        self.assertEqual(
            User.objects.values_list("email_canonical", flat=True).get(pk=self.kate.pk),
            "kate@example.com",
        )

    def test_queryset_update_fills_the_canonical_forms(self):
        User.objects.filter(pk=self.kate.pk).update(username="Katie", email="KATIE@example.com")
        self.assertEqual(
            User.objects.values_list("username_canonical", "email_canonical").get(pk=self.kate.pk),
            ("katie", "katie@example.com"),
        )

    def test_queryset_update_refuses_an_expression_it_cannot_fold(self):
        with self.assertRaisesMessage(TypeError, "username_canonical"):
            User.objects.filter(pk=self.kate.pk).update(username=F("email"))

    def test_the_database_refuses_the_same_username_in_another_spelling(self):
        for spelling in USERNAME_SPELLINGS:
            with self.subTest(spelling=spelling):
                self.refused(username=spelling)

    def test_the_database_refuses_the_same_email_in_another_spelling(self):
        for spelling in EMAIL_SPELLINGS:
            with self.subTest(spelling=spelling):
                self.refused(email=spelling)

    def test_the_database_refuses_a_username_with_an_at_sign(self):
        for username in ("bob@example.com", "bob\uff20example.com"):
            with self.subTest(username=username):
                self.refused(username=username)

    def test_bulk_create_cannot_skip_the_canonical_forms(self):
        with self.assertRaises(IntegrityError), transaction.atomic():
            User.objects.bulk_create([User(username="bulk", email="bulk@example.com")])

    def test_model_validation_reports_the_same_username_in_another_spelling(self):
        twin = User(username="STRASSE", email="twin@example.com", password="x")
        with self.assertRaisesMessage(ValidationError, "A user with that username already exists."):
            twin.full_clean()

    def test_model_validation_reports_the_same_email_in_another_spelling(self):
        twin = User(username="twin", email="kate@xn--bcher-kva.example", password="x")
        with self.assertRaisesMessage(
            ValidationError, "A user with that email address already exists."
        ):
            twin.full_clean()
