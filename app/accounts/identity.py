"""The canonical form of a username and of an email address.

Two spellings name the same account when their canonical forms are equal.
Every place that compares names or emails uses these functions and nothing
else: the forms, the login and password-reset lookups, the throttling keys,
and the columns ``User.username_canonical`` and ``User.email_canonical``, on
which the database's unique constraints sit. One definition means they
cannot disagree: ``lower()`` in Python, ``UPPER()`` in PostgreSQL (what
``__iexact`` runs) and ``Lower()`` in a constraint each treat characters such
as the Kelvin sign, ``ß``, fullwidth letters or combining accents their own
way, and every disagreement is a name that one check refuses and another
lets through.

The stored ``username`` and ``email`` keep the spelling the user typed; the
canonical form is only ever compared, never shown, and mail goes to the
stored address.
"""

import contextlib
import unicodedata

from django.utils.encoding import punycode


def fold(text):
    """``text`` normalised for caseless comparison: NFKC, case folding, NFKC.

    NFKC first makes compatibility characters plain (a fullwidth letter,
    U+FF41, is ``a``; the ligature U+FB01 is ``fi``; the Kelvin sign is
    ``K``) and composes combining accents (``u`` + U+0308 is ``ü``). Case
    folding, unlike ``lower()``, is meant for comparison: ``ß`` folds to
    ``ss``, the long s (U+017F) to ``s``. It can leave text that is not NFKC
    any more, hence NFKC again.
    """
    once = unicodedata.normalize("NFKC", text)
    return unicodedata.normalize("NFKC", once.casefold())


def canonical_username(username):
    """The form of a username under which it is unique."""
    return fold(str(username).strip())


def canonical_email(email):
    """The form of an email address under which it is unique: folded as a
    whole, with the domain in its IDNA (punycode) form.

    ``bücher.example`` and ``xn--bcher-kva.example`` are one domain; IDNA is
    the form DNS knows, and ``django.utils.encoding.punycode`` is what
    Django's mail code uses to address a message to a Unicode domain. The
    domain is folded before it is encoded, so spellings that fold alike
    encode alike. A domain that IDNA cannot encode (an empty or overlong
    label) keeps its folded form: no mail can reach it, but a comparison
    must still give an answer rather than fail.
    """
    folded = fold(str(email).strip())
    local, at, domain = folded.rpartition("@")
    if not at:
        return folded
    with contextlib.suppress(UnicodeError):
        domain = punycode(domain)
    return f"{local}@{domain}"


def canonical_identifier(identifier):
    """What someone types to log in, in canonical form: an email when it
    holds an ``@`` (no username can), a username otherwise.

    Also the form of every value a throttling key is made of, so that one
    name or mailbox is one counter, however it is spelled.
    """
    if "@" in fold(str(identifier)):
        return canonical_email(identifier)
    return canonical_username(identifier)
