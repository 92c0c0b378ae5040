"""Where a ``next`` parameter may send somebody after an account action.

Django already refuses a ``next`` on another host or scheme (``//evil.example``,
``/\\evil.example``, ``javascript:…``). What it does not refuse is a ``next``
back at a page that would send the user on again: the login page for a
logged-in user (Django raises ValueError on that loop, a 500), signup (which
sends a logged-in user away too), or a logout page that answers only POST.
Such a target is recognised by the view it resolves to, in any spelling:
relative, percent-encoded, with its own query string, without the trailing
slash, with dot segments.
"""

import posixpath
import re
from urllib.parse import unquote, urljoin, urlsplit

from django.contrib.auth import views as auth_views
from django.urls import Resolver404, resolve

# Never a destination after login or signup: each sends the user on again.
AFTER_LOGIN = frozenset({"login", "signup", "logout", "admin:login", "admin:logout"})
# Never a destination after logout: a logout page answers only POST.
AFTER_LOGOUT = frozenset({"logout", "admin:logout"})


def view_name(request, url):
    """The URL name of the view ``url`` leads to from this request, or None."""
    path = unquote(urlsplit(urljoin(request.path, url)).path)
    path = posixpath.normpath(re.sub(r"/+", "/", path or "/"))
    # normpath drops the trailing slash, which APPEND_SLASH would add back
    # (and the admin's catch-all view would take the path without it).
    for candidate in (path.rstrip("/") + "/", path):
        try:
            return resolve(candidate).view_name
        except Resolver404:
            continue
    return None


class SafeNextMixin(auth_views.RedirectURLMixin):
    """Django's ``next`` handling, which also refuses targets named in
    ``not_destinations``: the view's default redirect is used instead."""

    not_destinations = AFTER_LOGIN

    def get_redirect_url(self):
        url = super().get_redirect_url()  # "" when off-site or unsafe
        if url and view_name(self.request, url) in self.not_destinations:
            return ""
        return url
