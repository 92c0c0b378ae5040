"""Read the service's configuration from environment variables, strictly.

django-environ parses the URLs; this module adds what it does not do: it refuses
a malformed value instead of guessing (django-environ reads ``DEBUG=maybe`` as
false), it names the variable in every error, and it records every name it reads
so that a test can hold the documented template to the settings.

Errors are ``ConfigError``: one line, safe to print (it never echoes a URL,
which may hold a password). ``load_settings_or_exit`` turns one into a short
message and a non-zero exit for ``manage.py`` and the ASGI entry point.
"""

import ipaddress
import math
import os
import sys
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

REQUIRED = object()

POSTGRES_SCHEMES = {"postgres", "postgresql"}
DATABASE_URL_EXAMPLE = "postgres://user:password@host:5432/dbname"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


class ConfigError(ImproperlyConfigured):
    """A variable is missing or malformed; the message names it, on one line."""


class Env:
    """Typed, strict access to a mapping of environment variables."""

    def __init__(self, variables=None):
        self.variables = os.environ if variables is None else variables
        self.names = []

    def _raw(self, name, default):
        """The variable's text, or ``default`` when it is unset or empty."""
        if name not in self.names:
            self.names.append(name)
        value = self.variables.get(name, "").strip()
        if value:
            return value
        if default is REQUIRED:
            raise ConfigError(f"{name} is not set")
        return default

    def str(self, name, default=REQUIRED):
        return self._raw(name, default)

    def bool(self, name, default=REQUIRED):
        value = self._raw(name, default)
        if isinstance(value, bool):
            return value
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
        raise ConfigError(f"{name} is not a boolean ({value!r}): use true or false")

    def int(self, name, default=REQUIRED, *, minimum, maximum):
        """An integer between ``minimum`` and ``maximum``: every number the
        service reads has a sane range, so a typo cannot start a service that
        fails later (a window of 10**15 seconds overflows PostgreSQL's interval)."""
        value = self._raw(name, default)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} is not an integer ({value!r})") from None
        return self._in_range(name, number, minimum, maximum)

    def float(self, name, default=REQUIRED, *, minimum, maximum):
        """A finite number between ``minimum`` and ``maximum`` (never inf or nan)."""
        value = self._raw(name, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} is not a number ({value!r})") from None
        if not math.isfinite(number):
            raise ConfigError(f"{name} must be a finite number (got {value!r})")
        return self._in_range(name, number, minimum, maximum)

    @staticmethod
    def _in_range(name, number, minimum, maximum):
        if number < minimum:
            raise ConfigError(f"{name} must be at least {minimum} (got {number})")
        if number > maximum:
            raise ConfigError(f"{name} must be at most {maximum} (got {number})")
        return number

    def list(self, name, default=()):
        """Comma-separated words; blanks around commas are ignored."""
        value = self._raw(name, None)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def origins(self, name, default=()):
        """A list of origins, each with its scheme (``https://example.com``)."""
        origins = self.list(name, default)
        for origin in origins:
            parts = urlsplit(origin)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise ConfigError(
                    f"{name} has {origin!r}, which is not an origin: "
                    "write it with its scheme, such as https://example.com"
                )
        return origins

    def networks(self, name, default=()):
        """A list of IP addresses or networks (``10.0.0.0/8``), or ``*``."""
        items = self.list(name, default)
        for item in items:
            if item == "*":
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ConfigError(
                    f"{name} has {item!r}, which is not an IP address or network "
                    "(such as 10.0.0.0/8), nor *"
                ) from None
        return items

    def database_url(self, name):
        """A PostgreSQL URL, parsed into Django's ``DATABASES`` entry."""
        value = self._raw(name, None)
        if value is None:
            raise ConfigError(
                f"{name} is not set: give a PostgreSQL URL such as {DATABASE_URL_EXAMPLE}"
            )
        scheme = urlsplit(value).scheme
        if scheme not in POSTGRES_SCHEMES:
            shown = f"scheme {scheme!r}" if scheme else "no scheme"
            raise ConfigError(
                f"{name} is not a PostgreSQL URL ({shown}): use {DATABASE_URL_EXAMPLE}"
            )
        try:
            config = environ.Env.db_url_config(value)
        except ValueError:
            raise ConfigError(
                f"{name} is malformed (check the port): use {DATABASE_URL_EXAMPLE}"
            ) from None
        if not config.get("NAME"):
            raise ConfigError(f"{name} names no database: use {DATABASE_URL_EXAMPLE}")
        return config

    def email_url(self, name, default):
        """An email URL (``smtp+tls://user:pass@host:587``, ``consolemail://``)
        turned into a ``MAILERS`` entry.

        django-environ still returns the old ``EMAIL_*`` names, which Django 6.1
        refuses beside ``MAILERS``; the SMTP and file backends take the same
        values as ``OPTIONS``.
        """
        value = self._raw(name, default)
        scheme = urlsplit(value).scheme
        if scheme not in environ.Env.EMAIL_SCHEMES:
            known = ", ".join(sorted(environ.Env.EMAIL_SCHEMES))
            raise ConfigError(f"{name} has an unknown scheme ({scheme!r}): use one of {known}")
        try:
            config = environ.Env.email_url_config(value)
        except ValueError:
            raise ConfigError(f"{name} is malformed (check the port)") from None
        backend = config["EMAIL_BACKEND"]
        options = {}
        if backend.endswith("smtp.EmailBackend"):
            options = {
                "host": config["EMAIL_HOST"] or "localhost",
                "port": config["EMAIL_PORT"] or 25,
                "username": config["EMAIL_HOST_USER"] or "",
                "password": config["EMAIL_HOST_PASSWORD"] or "",
                "use_tls": config.get("EMAIL_USE_TLS", False),
                "use_ssl": config.get("EMAIL_USE_SSL", False),
                "timeout": 10,
            }
        elif backend.endswith("filebased.EmailBackend"):
            if not config["EMAIL_FILE_PATH"]:
                raise ConfigError(
                    f"{name} needs a folder for file mail, such as filemail:///tmp/mail"
                )
            options = {"file_path": "/" + config["EMAIL_FILE_PATH"]}
        return {"BACKEND": backend, "OPTIONS": options}


def load_settings_or_exit():
    """Import the settings now, and stop with one line if a variable is bad.

    Called by ``manage.py`` and ``config.asgi`` before Django starts, so that
    a bad variable ends start-up with its name instead of a traceback.
    """
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading a setting imports the module
    except ConfigError as error:
        sys.exit(f"Configuration error: {error}")
