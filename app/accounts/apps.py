from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"


class ThrottledAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with a site whose login answers 429 when throttled."""

    default = False  # listed by its full path in INSTALLED_APPS
    default_site = "accounts.admin_site.AdminSite"
