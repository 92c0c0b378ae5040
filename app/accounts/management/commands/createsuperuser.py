from django.contrib.auth.management.commands import createsuperuser
from django.urls import reverse


class Command(createsuperuser.Command):
    """Django's ``createsuperuser``, which then says how to reach the admin:
    it lets nobody in without a second factor."""

    def handle(self, *args, **options):
        super().handle(*args, **options)
        self.stdout.write(
            "The admin needs a second factor. Log in at "
            f"{reverse('login')}, then turn one on at {reverse('two_factor_enable')} "
            f"(an authenticator app), and open {reverse('admin:index')}."
        )
