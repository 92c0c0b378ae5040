"""Throttling of logins and password-reset requests, shared by every process.

The counters live in PostgreSQL (``ThrottleCounter``), so every worker and every
replica sees the same counts. Each attempt is counted by one atomic
``INSERT ... ON CONFLICT DO UPDATE`` *before* the password is checked: parallel
attempts cannot slip past the limit between a read and a write, which a
get-then-set counter (Django's cache ``incr``) would allow.

A window is fixed: it starts at a subject's first attempt and lasts
``window`` seconds; once it has passed, the next attempt starts a new one. The
clock is the database's, the same for every replica.
"""

import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.shortcuts import render

from accounts.identity import canonical_identifier
from accounts.models import ThrottleCounter
from audit.events import Event
from audit.trail import record

TABLE = ThrottleCounter._meta.db_table

# The clock, in SQL: the time the statement began. (``now()`` would be the start
# of the transaction, which may be older than the attempt.) Django's ``Now()``
# is the same clock on PostgreSQL.
NOW = "statement_timestamp()"

# Each attempt also sweeps away a few counters of other subjects whose window
# has passed, so that a spray of made-up names cannot grow the table without
# end: it adds at most one counter per subject and removes up to this many.
SWEEP_PER_HIT = 10

# One statement counts an attempt against several subjects at once, and
# sweeps. The sweep leaves alone the keys being counted (a statement must not
# touch a row twice) and rows that another attempt holds (SKIP LOCKED), so
# attempts never wait on each other's sweeps.
HIT_SQL = f"""
WITH swept AS (
    DELETE FROM {TABLE} WHERE key IN (
        SELECT key FROM {TABLE}
        WHERE window_ends <= {NOW} AND key <> ALL(%(keys)s::text[])
        ORDER BY window_ends
        LIMIT {SWEEP_PER_HIT}
        FOR UPDATE SKIP LOCKED
    )
)
INSERT INTO {TABLE} AS counter (key, hits, window_ends)
SELECT key, 1, {NOW} + make_interval(secs => %(window)s) FROM unnest(%(keys)s::text[]) AS key
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN counter.window_ends <= {NOW} THEN 1 ELSE counter.hits + 1 END,
    window_ends = CASE WHEN counter.window_ends <= {NOW}
                       THEN EXCLUDED.window_ends ELSE counter.window_ends END
RETURNING key, hits, GREATEST(0, CEIL(EXTRACT(EPOCH FROM counter.window_ends - {NOW})))::int
"""  # noqa: S608 - the table name is ours; values are parameters


@dataclass(frozen=True)
class Verdict:
    scope: str  # the kind of attempt: "login", "password_reset"…
    blocked: bool
    retry_after: int  # seconds until every exceeded window has passed

    @property
    def retry_after_minutes(self):
        return max(1, math.ceil(self.retry_after / 60))


def subject_key(scope, kind, value):
    """A counter key that never stores an email or username in clear.

    The value is taken in its canonical form (``accounts.identity``), so that
    every spelling of one mailbox or name is one counter.
    """
    digest = hashlib.sha256(canonical_identifier(value).encode()).hexdigest()[:32]
    return f"{scope}:{kind}:{digest}"


class Throttle:
    """One kind of attempt (``login``, ``password_reset``), with a limit per
    kind of subject and one window, read from ``settings.THROTTLES``."""

    def __init__(self, scope):
        self.scope = scope

    @property
    def config(self):
        return settings.THROTTLES[self.scope]

    def hit(self, **subjects):
        """Count one attempt for each subject (``account="…", address="…"``).

        Blocked when any subject has now made more attempts than its limit.
        """
        keys = {subject_key(self.scope, kind, value): kind for kind, value in subjects.items()}
        with connection.cursor() as cursor:
            cursor.execute(HIT_SQL, {"window": self.config["window"], "keys": list(keys)})
            rows = cursor.fetchall()
        exceeded = [retry for key, hits, retry in rows if hits > self.config["limits"][keys[key]]]
        return Verdict(
            scope=self.scope, blocked=bool(exceeded), retry_after=max(exceeded, default=0)
        )

    def forgive(self, kind, value):
        """Take back one counted attempt (it turned out to be a success)."""
        ThrottleCounter.objects.filter(key=subject_key(self.scope, kind, value), hits__gt=0).update(
            hits=F("hits") - 1
        )

    def clear(self, kind, value):
        """Forget every attempt of one subject."""
        ThrottleCounter.objects.filter(key=subject_key(self.scope, kind, value)).delete()


def purge_expired():
    """Delete every counter whose window has passed; return how many."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE window_ends <= {NOW}")  # noqa: S608
        return cursor.rowcount


def client_address(request):
    """The client's address as the server saw it.

    uvicorn puts the real client's address here: from ``X-Forwarded-For`` only
    when the connection comes from a proxy in ``FORWARDED_ALLOW_IPS``, and
    otherwise the peer's own, so a client cannot choose it by sending the header.
    """
    return request.META.get("REMOTE_ADDR") or "unknown"


class Throttled(Exception):
    """Raised where a throttled attempt is refused; ``accounts.middleware``
    answers it with the 429 page, whichever view it came through. ``user``
    is the account the attempt was at, when there is one."""

    def __init__(self, verdict, user=None):
        super().__init__(f"throttled for {verdict.retry_after} s")
        self.verdict = verdict
        self.user = user


def throttled_response(request, verdict, user=None):
    """The 429 page: what happened and when to try again. The refusal is a
    security event, recorded for ``user`` (by default the logged-in one)."""
    record(Event.THROTTLED, request, user, scope=verdict.scope)
    response = render(
        request,
        "429.html",
        {"retry_after_minutes": verdict.retry_after_minutes},
        status=429,
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


login_throttle = Throttle("login")
password_reset_throttle = Throttle("password_reset")
# Counted per client address before the form is even checked, so a storm of
# signups stops at the counter, not at the password hasher.
signup_throttle = Throttle("signup")
# Counted per account before the password is checked again (a password
# change, a confirmation of the password, an email change); a success clears it.
password_change_throttle = Throttle("password_change")
# Counted per account (and, at login, per address) before a code is checked.
second_factor_throttle = Throttle("second_factor")
# Counted per account at each "send the link again".
email_verification_throttle = Throttle("email_verification")
