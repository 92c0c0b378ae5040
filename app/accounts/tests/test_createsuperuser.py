from django.core.management import CommandError, call_command
from django.test import TestCase

from accounts.models import User


class CreateSuperuserTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        User.objects.create_user("ada", "ada@example.com", "a-long-unusual-passphrase")

    def test_a_username_taken_in_another_spelling_is_refused_with_a_message(self):
        for spelling in ("ADA", "\uff41\uff44\uff41"):  # fullwidth letters
            with (
                self.subTest(spelling),
                self.assertRaisesMessage(CommandError, "That username is already taken."),
            ):
                call_command(
                    "createsuperuser",
                    interactive=False,
                    username=spelling,
                    email="other@example.com",
                    verbosity=0,
                )
        self.assertEqual(User.objects.count(), 1)
