"""``migrate``, one at a time: safe when two releases (two Jobs, two compose
runs) migrate the same database at once.

The command holds a PostgreSQL advisory lock while ``migrate`` runs. A second
run waits for the lock, then finds nothing left to apply. The lock belongs to
the database session, so it is released even if the process dies.
"""

import zlib

from django.core.management import call_command
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

# A fixed 32-bit key, the same in every process of this service.
LOCK_KEY = zlib.crc32(b"djangoship:migrate")


class Command(MigrateCommand):
    help = "Apply migrations while holding a PostgreSQL advisory lock (one run at a time)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--lock-timeout",
            type=int,
            default=600,
            help="Seconds to wait for another run to finish before giving up (default 600).",
        )

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        timeout = options.pop("lock_timeout")
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{timeout}s"])
            if options["verbosity"] >= 1:
                self.stdout.write("Waiting for the migration lock…")
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
            cursor.execute("SELECT set_config('lock_timeout', '0', false)")
        try:
            if options["verbosity"] >= 1:
                self.stdout.write("Holding the migration lock.")
            options.pop("skip_checks", None)
            call_command("migrate", *args, skip_checks=True, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
