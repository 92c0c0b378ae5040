"""Write a security event, as a row and as a log line.

``record(Event.LOGIN, request, user)`` is the one way in. The row and the
line carry the same facts: the event, the user, the client's address (as
the server saw it, see ``accounts.throttling.client_address``), its user
agent and the request id, and the few ``details`` the caller names. Callers
never pass a secret; ``audit/tests/test_no_secrets.py`` walks every flow and
searches the rows and the lines for the passwords, codes and links used.
"""

import ipaddress
import logging
from datetime import timedelta

from django.utils import timezone

from audit.models import USER_AGENT_MAX_LENGTH, SecurityEvent
from logs.json_lines import request_id_var

logger = logging.getLogger("audit")


def _address(request):
    value = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _user_agent(request):
    # PostgreSQL's text refuses NUL; the rest is kept, cut to the column.
    value = request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")
    return value[:USER_AGENT_MAX_LENGTH]


def _current_request_id():
    value = request_id_var.get()
    return "" if value == "-" else value


def record(event, request=None, user=None, **details):
    """Record ``event`` for ``user`` (by default the request's user, when
    logged in), with the request's client address, user agent and id."""
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    row = SecurityEvent(
        event=event,
        user=user,
        client_address=_address(request) if request is not None else None,
        user_agent=_user_agent(request) if request is not None else "",
        request_id=getattr(request, "request_id", None) or _current_request_id(),
        details=details,
    )
    row.save()
    logger.info(
        "security event: %s",
        event,
        extra={
            "event": str(event),
            "user_id": user.pk if user is not None else None,
            "client_address": row.client_address,
            "user_agent": row.user_agent,
            "details": details,
        },
    )
    return row


def prune(days):
    """Delete the rows older than ``days`` days; return how many."""
    removed, _ = SecurityEvent.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=days)
    ).delete()
    return removed
