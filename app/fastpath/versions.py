"""The versions whose internals ``fastpath`` was read against.

``fastpath.middleware`` relies on Django's middleware hooks and message
storage, asgiref's ``ThreadSensitiveContext`` and whitenoise's file lookup.
A release may change any of them; this does not stop an upgrade, it says
what to read and how to serve meanwhile (``manage.py check`` shows it as a
warning, and the server logs it at start).
"""

from importlib.metadata import version

CHECKED_AGAINST = {"django": "6.1", "asgiref": "3.13", "whitenoise": "6.12"}


def installed(names=CHECKED_AGAINST):
    """The installed major.minor version of each distribution in ``names``."""
    return {name: ".".join(version(name).split(".")[:2]) for name in names}


def drift(checked_against):
    """(name, version checked, version installed) for each that differs."""
    found = installed(checked_against)
    return [
        (name, checked, found[name])
        for name, checked in checked_against.items()
        if found[name] != checked
    ]


def differences():
    """One sentence for each of the fast path's versions that differs."""
    return [
        f"{name} {found} is installed; the fast path was checked against {name} "
        f"{checked}: read fastpath/ against {name} {found}, then update "
        "fastpath/versions.py (until then, ASGI_HANDLER=django serves with Django's own handler)."
        for name, checked, found in drift(CHECKED_AGAINST)
    ]
