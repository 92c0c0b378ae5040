"""Usernames and emails unique in their canonical form (``accounts.identity``).

Adds ``username_canonical`` and ``email_canonical``, fills them for every
existing user, and only then adds the constraints on them, in place of the
old ``Lower("email")`` one. Where existing users would collide under the new
rules (one canonical username or email for two users, a username with an
``@``), the migration stops and names the rows: which account keeps the name
is a decision for a person, not for a migration.
"""

from collections import defaultdict

from django.core.management.base import CommandError
from django.db import migrations, models

from accounts.identity import canonical_email, canonical_username


def collisions(rows):
    """Lines describing the rows the new constraints would refuse.

    ``rows`` are ``(id, username, email, username_canonical, email_canonical)``.
    """
    problems = []
    for column, index, canonical_index in (("username", 1, 3), ("email", 2, 4)):
        groups = defaultdict(list)
        for row in rows:
            groups[row[canonical_index]].append(row)
        for canonical, group in sorted(groups.items()):
            if len(group) > 1:
                users = ", ".join(f"id {row[0]} {row[index]!r}" for row in group)
                problems.append(f"one {column} {canonical!r} for users {users}")
            elif not canonical:
                problems.append(f"a blank {column} for user id {group[0][0]}")
    for row in rows:
        if "@" in row[3]:
            problems.append(f"an @ in the username of user id {row[0]} {row[1]!r}")
    return problems


def fill_canonical_columns(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    manager = User._base_manager.using(schema_editor.connection.alias)
    rows = [
        (pk, username, email, canonical_username(username), canonical_email(email))
        for pk, username, email in manager.order_by("pk").values_list("pk", "username", "email")
    ]
    problems = collisions(rows)
    if problems:
        raise CommandError(
            "accounts.0003 cannot make usernames and emails unique in their canonical "
            "form: existing users collide. Change or remove these users, then migrate "
            "again:\n  " + "\n  ".join(problems)
        )
    filled = [
        User(pk=pk, username_canonical=username_canonical, email_canonical=email_canonical)
        for pk, _username, _email, username_canonical, email_canonical in rows
    ]
    manager.bulk_update(filled, ["username_canonical", "email_canonical"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_throttlecounter"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_canonical",
            field=models.CharField(default="", editable=False, max_length=300),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="user",
            name="email_canonical",
            field=models.CharField(default="", editable=False, max_length=512),
            preserve_default=False,
        ),
        migrations.RunPython(fill_canonical_columns, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="user",
            name="accounts_user_email_ci_unique",
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("username_canonical",),
                name="accounts_user_username_canonical_unique",
                violation_error_message="A user with that username already exists.",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("email_canonical",),
                name="accounts_user_email_canonical_unique",
                violation_error_message="A user with that email address already exists.",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=~models.Q(username_canonical=""),
                name="accounts_user_username_canonical_not_blank",
                violation_error_message="The canonical username is missing.",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=~models.Q(email_canonical=""),
                name="accounts_user_email_canonical_not_blank",
                violation_error_message="The canonical email address is missing.",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=~models.Q(username_canonical__contains="@"),
                name="accounts_user_username_has_no_at",
                violation_error_message="A username cannot contain @.",
            ),
        ),
    ]
