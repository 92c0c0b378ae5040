from io import StringIO

from django.core.management import call_command
from django.test import TestCase


class MigrationTests(TestCase):
    def test_no_model_change_lacks_a_migration(self):
        out = StringIO()
        try:
            call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
        except SystemExit:
            self.fail(f"a model change has no migration:\n{out.getvalue()}")

    def test_the_user_model_comes_from_the_first_migration(self):
        from django.db.migrations.loader import MigrationLoader

        first = MigrationLoader(None).get_migration("accounts", "0001_initial")
        created = [op.name for op in first.operations if op.__class__.__name__ == "CreateModel"]
        self.assertEqual(created, ["User"])
