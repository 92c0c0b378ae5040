from io import StringIO
from unittest import mock

from django.contrib.auth.management.commands import createsuperuser
from django.core.management import CommandError, call_command
from django.test import TestCase

from accounts.models import User
from accounts.tests.factories import PASSWORD, make_user


class Terminal(StringIO):
    """Standard input that says it is a terminal, as createsuperuser requires
    before it asks anything."""

    def isatty(self):
        return True


def answering(answers):
    """Run ``createsuperuser`` interactively, answering each prompt (in the
    order asked) from ``answers``, a {prompt label: [answers…]}; return the
    prompts it asked and what it printed."""
    asked = []
    remaining = {label: list(values) for label, values in answers.items()}

    def answer(prompt):
        asked.append(prompt)
        for label, values in remaining.items():
            if prompt.startswith(label):
                return values.pop(0)
        raise AssertionError(f"createsuperuser asked {prompt!r}")

    output = StringIO()
    with (
        mock.patch("builtins.input", answer),
        mock.patch.object(createsuperuser.getpass, "getpass", return_value=PASSWORD),
    ):
        call_command(
            "createsuperuser", interactive=True, stdin=Terminal(), stdout=output, stderr=output
        )
    return asked, output.getvalue()


class InteractiveCreateSuperuserTests(TestCase):
    def test_it_asks_for_the_email_until_one_is_given_and_stores_it(self):
        asked, output = answering(
            {"Username": ["grace"], "Email address": ["", "not-an-address", "grace@example.com"]}
        )
        self.assertEqual(
            [p for p in asked if p.startswith("Email address")], ["Email address: "] * 3
        )
        self.assertIn("Enter a valid email address.", output)
        user = User.objects.get(username="grace")
        self.assertEqual(
            (user.email, user.is_superuser, user.is_staff), ("grace@example.com", True, True)
        )
        self.assertTrue(user.check_password(PASSWORD))
        self.assertTrue(user.email_verified)
        self.assertIn(
            "The admin needs a second factor. Log in at /accounts/login/, then turn one on "
            "at /accounts/two-factor/on/",
            output,
        )


class CreateSuperuserTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_user()

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
