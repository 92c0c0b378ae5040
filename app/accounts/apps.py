from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import receivers  # noqa: F401 - connects the signal receivers


class AccountsAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with a site behind our login and a second factor."""

    default = False  # listed by its full path in INSTALLED_APPS
    default_site = "accounts.admin_site.AdminSite"
