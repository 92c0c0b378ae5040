"""accounts.0003 fills the canonical columns for the users already there, and
stops, naming the rows, where they would break the new constraints."""

from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase

from accounts.models import User
from accounts.tests.spellings import EMAIL, EMAIL_SPELLINGS, USERNAME, USERNAME_SPELLINGS

BEFORE = ("accounts", "0002_throttlecounter")
CANONICAL = ("accounts", "0003_user_canonical_identity")


def migrate(target):
    """Migrate the test database to ``target``; return the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def user_columns():
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, User._meta.db_table)
    return {column.name for column in columns}


class CanonicalIdentityMigrationTests(TransactionTestCase):
    def setUp(self):
        self.old_user = migrate(BEFORE).get_model("accounts", "User")

    def tearDown(self):
        self.old_user._base_manager.all().delete()
        MigrationExecutor(connection).migrate(latest())

    def make(self, *pairs):
        return [
            self.old_user._base_manager.create(username=username, email=email).pk
            for username, email in pairs
        ]

    def test_existing_users_get_their_canonical_forms(self):
        (pk,) = self.make((USERNAME, EMAIL))
        migrate(CANONICAL)
        self.assertEqual(
            User.objects.values_list("username_canonical", "email_canonical").get(pk=pk),
            ("strasse", "kate@xn--bcher-kva.example"),
        )

    def test_two_users_with_one_canonical_username_stop_it_naming_both(self):
        first, second = self.make(
            (USERNAME, "one@example.com"), (USERNAME_SPELLINGS[0], "two@example.com")
        )
        with self.assertRaisesMessage(
            CommandError,
            f"one username 'strasse' for users id {first} {USERNAME!r}, "
            f"id {second} {USERNAME_SPELLINGS[0]!r}",
        ):
            migrate(CANONICAL)

    def test_two_users_with_one_canonical_email_stop_it_naming_both(self):
        first, second = self.make(("one", EMAIL), ("two", EMAIL_SPELLINGS[-2]))
        with self.assertRaisesMessage(
            CommandError,
            f"one email 'kate@xn--bcher-kva.example' for users id {first} {EMAIL!r}, "
            f"id {second} {EMAIL_SPELLINGS[-2]!r}",
        ):
            migrate(CANONICAL)

    def test_a_username_with_an_at_sign_stops_it(self):
        (pk,) = self.make(("bob@example.com", "bob@example.com"))
        with self.assertRaisesMessage(
            CommandError, f"an @ in the username of user id {pk} 'bob@example.com'"
        ):
            migrate(CANONICAL)

    def test_every_problem_is_named_at_once(self):
        self.make(
            ("ada", "ada@example.com"), ("ADA", "ada@\uff45xample.com"), ("x@y", "x@y.example")
        )
        with self.assertRaises(CommandError) as raised:
            migrate(CANONICAL)
        problems = str(raised.exception).splitlines()[1:]
        self.assertEqual(len(problems), 3, problems)

    def test_a_stopped_migration_changes_nothing(self):
        self.make(("ada", "ada@example.com"), ("ADA", "other@example.com"))
        with self.assertRaises(CommandError):
            migrate(CANONICAL)
        self.assertNotIn("username_canonical", user_columns())
        self.assertEqual(self.old_user._base_manager.count(), 2)
