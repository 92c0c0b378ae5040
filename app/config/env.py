"""Read the service's configuration from environment variables, strictly.

django-environ does the parsing where it parses strictly: the database and
email URLs, integers and comma-separated lists (``Env.parse_value``). Two of
its casts guess, and this module does them itself: a boolean (django-environ
reads ``DEBUG=maybe`` as false and ``DEBUG=2`` as true) and a number (it drops
every character that is not a digit, so ``10s`` is 10 and ``1e3`` is 13). On
top of the library it refuses control characters, keeps every number in a
range, checks the values Django would only misread later (hosts, origins,
header names, addresses), names the variable in every error, and records
every name it reads so that a test can hold the documented template to the
settings.

Errors are ``ConfigError``: one line, safe to print (it never echoes a URL,
which may hold a password). ``load_settings_or_exit`` turns one into a short
message and a non-zero exit for ``manage.py`` and the ASGI entry point.
"""

import email.policy
import ipaddress
import math
import os
import re
import sys
import unicodedata
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

REQUIRED = object()

POSTGRES_SCHEMES = {"postgres", "postgresql"}
DATABASE_URL_EXAMPLE = "postgres://user:password@host:5432/dbname"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}

# One DNS name: labels of letters, digits and inner hyphens, 253 characters at
# most. Django compares a request's host (lower-cased, without its port or a
# trailing dot) with each ALLOWED_HOSTS entry: a name, an IPv4 address, an
# IPv6 address in brackets, ".example.com" (that domain and its subdomains),
# or "*" (any host at all). Nothing else ever matches.
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_NAME = re.compile(rf"(?=.{{1,253}}$){LABEL}(?:\.{LABEL})*", re.IGNORECASE)
# A header name as Django sees it in request.META: letters, digits, hyphens
# (an underscore would make two spellings of one header, one of them forgeable).
HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,99}")


class ConfigError(ImproperlyConfigured):
    """A variable is missing or malformed; the message names it, on one line."""


class Env:
    """Typed, strict access to a mapping of environment variables."""

    def __init__(self, variables=None):
        self.variables = os.environ if variables is None else variables
        self.names = []

    def _raw(self, name, default):
        """The variable's text, or ``default`` when it is unset or empty.

        No variable may hold a control character (a newline pasted inside a
        value, a NUL): it is refused without being echoed, since it may be a
        secret's."""
        if name not in self.names:
            self.names.append(name)
        value = self.variables.get(name, "").strip()
        if any(unicodedata.category(char) == "Cc" for char in value):
            raise ConfigError(f"{name} holds a control character (a newline, tab or NUL)")
        if value:
            return value
        if default is REQUIRED:
            raise ConfigError(f"{name} is not set")
        return default

    def str(self, name, default=REQUIRED):
        return self._raw(name, default)

    def bool(self, name, default=REQUIRED):
        """One of ``TRUE_WORDS`` or ``FALSE_WORDS``, in any case; any other word
        is refused (django-environ would read it as false)."""
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
            number = environ.Env.parse_value(value, int)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} is not an integer ({value!r})") from None
        return self._in_range(name, number, minimum, maximum)

    def float(self, name, default=REQUIRED, *, minimum, maximum):
        """A finite number between ``minimum`` and ``maximum`` (never inf or nan),
        written as Python writes one: not django-environ's cast, which drops
        what is not a digit."""
        value = self._raw(name, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} is not a number ({value!r})") from None
        if not math.isfinite(number):
            raise ConfigError(f"{name} must be a finite number (got {value!r})")
        return self._in_range(name, number, minimum, maximum)

    def choice(self, name, choices, default=REQUIRED, *, upper=False):
        """One of ``choices`` (compared in upper case when ``upper``)."""
        value = self._raw(name, default)
        if upper:
            value = value.upper()
        if value not in choices:
            words = f"{', '.join(choices[:-1])} or {choices[-1]}"
            raise ConfigError(f"{name} is not {words} ({value!r})")
        return value

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
        return [item.strip() for item in environ.Env.parse_value(value, list) if item.strip()]

    def text(self, name, default=REQUIRED, *, max_length, ascii_only=False, forbidden=""):
        """A short text: at most ``max_length`` characters (bytes when
        ``ascii_only``, where only printable ASCII is allowed), none of the
        characters in ``forbidden``."""
        value = self._raw(name, default)
        if value is None or value == "":
            return value
        if ascii_only and not all(" " <= char <= "~" for char in value):
            raise ConfigError(f"{name} must be printable ASCII (got {value!r})")
        if len(value) > max_length:
            raise ConfigError(f"{name} is longer than {max_length} characters ({len(value)})")
        for char in forbidden:
            if char in value:
                raise ConfigError(f"{name} must not contain {char!r} (got {value!r})")
        return value

    def hosts(self, name, default=(), *, debug):
        """A list of host names for ``ALLOWED_HOSTS``, each one Django can
        match; ``*`` (any host) only while ``debug`` is on."""
        hosts = self.list(name, default)
        for host in hosts:
            problem = host_problem(host, debug=debug)
            if problem:
                raise ConfigError(f"{name} {problem}")
        return hosts

    def origins(self, name, default=()):
        """A list of origins, each a scheme and a host, with a port if not the
        scheme's own (``https://example.com``, ``https://*.example.com``)."""
        origins = self.list(name, default)
        for origin in origins:
            parts = urlsplit(origin)
            if "@" in parts.netloc:
                raise ConfigError(
                    f"{name} has an origin with a user or password in it (…@{parts.hostname}): "
                    "an origin is a scheme and a host, such as https://example.com"
                )
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise ConfigError(
                    f"{name} has {origin!r}, which is not an origin: "
                    "write it with its scheme, such as https://example.com"
                )
            if parts.path or parts.query or parts.fragment or origin.endswith(("?", "#")):
                raise ConfigError(
                    f"{name} has {origin!r}, which has a path: an origin is only a scheme "
                    "and a host, such as https://example.com (Django compares them exactly)"
                )
            try:
                parts.port  # noqa: B018 - reading it checks it
            except ValueError:
                raise ConfigError(f"{name} has {origin!r}, whose port is not a port") from None
            host = parts.hostname or ""
            host = "." + host[2:] if host.startswith("*.") else host
            host = f"[{host}]" if ":" in host else host
            problem = host_problem(host, debug=False)
            if problem or not host.strip("."):
                raise ConfigError(
                    f"{name} has {origin!r}, whose host is not a host name or IP address "
                    "(a wildcard may only open it, as in https://*.example.com)"
                )
        return origins

    def email_address(self, name, default=REQUIRED):
        """One email address, bare or with a display name
        (``Shop <shop@example.com>``), as a mail header can carry it."""
        value = self._raw(name, default)
        problem = email_address_problem(value)
        if problem:
            raise ConfigError(
                f"{name} is not an email address ({value!r}): {problem}; "
                "use shop@example.com or Shop <shop@example.com>"
            )
        return value

    def header_name(self, name, default=""):
        """An HTTP header's name, such as ``X-Forwarded-Proto``."""
        value = self._raw(name, default)
        if value and not HEADER_NAME.fullmatch(value):
            raise ConfigError(
                f"{name} is not a header name ({value!r}): write the name alone, "
                "letters, digits and hyphens, such as X-Forwarded-Proto"
            )
        return value

    def absolute_path(self, name, default):
        """A file-system path that does not depend on the working directory."""
        value = self._raw(name, default)
        if not os.path.isabs(value):
            raise ConfigError(f"{name} is not an absolute path ({value!r}): such as /srv/static")
        return value

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
            if urlsplit(value).netloc:
                raise ConfigError(
                    f"{name} names a host for file mail: write the folder after three "
                    "slashes, such as filemail:///tmp/mail"
                )
            if not config["EMAIL_FILE_PATH"]:
                raise ConfigError(
                    f"{name} needs a folder for file mail, such as filemail:///tmp/mail"
                )
            options = {"file_path": "/" + config["EMAIL_FILE_PATH"]}
        return {"BACKEND": backend, "OPTIONS": options}


def host_problem(entry, *, debug):
    """What makes ``entry`` an ALLOWED_HOSTS item that cannot work or is not
    safe, said after the variable's name ("has '*', which …"), or None.

    ``*`` lets any Host header through, so a forged one would reach the
    password-reset links the service mails: it is refused unless ``debug``.
    """
    if entry == "*":
        if debug:
            return None
        return (
            "has '*', which accepts any Host header (a forged one would reach the "
            "password-reset links) and is refused with DEBUG off: name the site's "
            "hosts, such as example.com,www.example.com"
        )
    if "://" in entry:
        scheme = entry.partition("://")[0]
        return (
            f"has an entry with a scheme ({scheme}://…): write the host name alone, "
            "such as example.com"
        )
    if "@" in entry:
        return (
            f"has an entry with a user or password in it (…@{entry.rpartition('@')[2]}): "
            "write the host name alone, such as example.com"
        )
    if any(char in entry for char in "/?#"):
        return f"has {entry!r}, which is not a host name: write it alone, without a path"
    if "*" in entry:
        return (
            f"has {entry!r}, a wildcard Django does not honour: write .example.com "
            "for a domain and all its subdomains, or name each host"
        )
    if entry.startswith("["):
        address, bracket, rest = entry[1:].partition("]")
        if bracket and rest.startswith(":"):
            return (
                f"has {entry!r}, with a port: Django compares hosts without it, so drop :{rest[1:]}"
            )
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return f"has {entry!r}, which is not an IPv6 address in brackets, such as [::1]"
        return None if not rest else f"has {entry!r}, which is not a host name"
    if ":" in entry:
        host, _, port = entry.rpartition(":")
        if port.isdigit() and ":" not in host:
            return f"has {entry!r}, with a port: Django compares hosts without it, so write {host}"
        return f"has {entry!r}: an IPv6 address goes in brackets, such as [::1]"
    if not HOST_NAME.fullmatch(entry.removeprefix(".")):
        return f"has {entry!r}, which is not a host name or IP address"
    return None


def servable_hosts(hosts, *, debug):
    """The ALLOWED_HOSTS entries that can match a request at all; with DEBUG
    on and none given, Django serves localhost."""
    if debug and not hosts:
        return [".localhost", "127.0.0.1", "[::1]"]
    return [host for host in hosts if host == "*" or host_problem(host, debug=True) is None]


def email_address_problem(value):
    """Why ``value`` cannot be the sender of a message, or None."""
    header = email.policy.default.header_factory("From", value)
    if header.defects:
        return "a mail header cannot carry it as written (a name with a comma goes in quotes)"
    if len(header.addresses) != 1:
        return "give exactly one address"
    try:
        # Django's own validator, as its forms use it (it allows user@localhost).
        validate_email(header.addresses[0].addr_spec)
    except ValidationError:
        return "its address is not user@domain"
    return None


def exit_unless_servable():
    """Stop, with one line, a server whose settings can serve no host.

    With DEBUG off and ALLOWED_HOSTS empty, Django answers every page 400.
    The settings allow it, since management commands (migrate, collectstatic)
    run without hosts; the ASGI entry point calls this as a server takes it.
    """
    from django.conf import settings

    if not servable_hosts(settings.ALLOWED_HOSTS, debug=settings.DEBUG):
        sys.exit(
            "Configuration error: ALLOWED_HOSTS is empty, so with DEBUG off every page "
            "would answer 400: name the site's hosts, such as example.com,www.example.com"
        )


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
