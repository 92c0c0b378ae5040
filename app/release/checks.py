"""System checks of the service's own, run by ``manage.py check`` (and before
``migrate``).

``check --deploy`` fails on an ALLOWED_HOSTS that, with DEBUG off, serves
nothing (empty: every page answers 400) or anything (``*``: a forged Host
header reaches the password-reset links the service mails). The settings
already refuse ``*`` with DEBUG off; this check holds for any settings.

The code that leans on other packages' internals (the fast path, the
server's HTTP protocol) was read against named versions; on any other, the
checks warn (an upgrade is never blocked) and say what to read.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning

from config.env import host_problem, servable_hosts
from fastpath import versions
from limits import protocol


@register(Tags.security, deploy=True)
def check_allowed_hosts(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    hosts = list(settings.ALLOWED_HOSTS)
    if not servable_hosts(hosts, debug=False):
        return [
            Error(
                "ALLOWED_HOSTS names no host that can be served, so with DEBUG off "
                "every page answers 400.",
                hint="Set ALLOWED_HOSTS to the site's host names, such as example.com.",
                id="release.E001",
            )
        ]
    errors = []
    for host in hosts:
        problem = host_problem(host, debug=False)
        if problem:
            errors.append(
                Error(
                    f"ALLOWED_HOSTS {problem}.",
                    hint="Name each host, or .example.com for a domain and its subdomains.",
                    id="release.E002",
                )
            )
    return errors


@register(Tags.urls)
def check_admin_url(app_configs, **kwargs):
    """ADMIN_URL must not cover the site's own pages: the admin's URLs come
    first and end in a catch-all, so ``ADMIN_URL=accounts/`` would hide every
    account page (and ``migrate``, which runs the checks, stops on it)."""
    from django.urls import NoReverseMatch, get_resolver, reverse

    hidden = set()
    for name in get_resolver().reverse_dict:
        if not isinstance(name, str):
            continue  # views referenced by callable, not by name
        try:
            path = reverse(name)
        except NoReverseMatch:
            continue  # a URL that needs arguments
        if path.lstrip("/").startswith(settings.ADMIN_URL):
            hidden.add(path)
    if not hidden:
        return []
    return [
        Error(
            f"ADMIN_URL {settings.ADMIN_URL!r} covers the site's own pages: "
            + ", ".join(sorted(hidden)),
            hint="Give the admin a path of its own, such as staff-7f3a/.",
            id="release.E003",
        )
    ]


@register()
def check_versions_read(app_configs, **kwargs):
    warnings = []
    if settings.ASGI_HANDLER == "fastpath":
        warnings += [CheckWarning(text, id="release.W001") for text in versions.differences()]
    warnings += [
        CheckWarning(
            f"{name} {found} is installed; the server's HTTP protocol was "
            f"checked against {name} {checked}.",
            hint=f"Read limits/protocol.py against {name} {found}, then update "
            "its CHECKED_AGAINST.",
            id="release.W002",
        )
        for name, checked, found in versions.drift(protocol.CHECKED_AGAINST)
    ]
    return warnings
