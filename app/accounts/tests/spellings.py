"""Spellings that name one account: shared by the tests of every place that
compares usernames and emails, and by the tests against the real server.

Each list holds other spellings of the name or address above it, one trick
each, all accepted by Django's validators, none equal to it as text.
"""

# An address on a Unicode domain, stored as typed.
EMAIL = "kate@b\u00fccher.example"
EMAIL_SPELLINGS = [
    "KATE@B\u00dcCHER.EXAMPLE",  # case
    "\u212aate@b\u00fccher.example",  # KELVIN SIGN for K
    "kate@bu\u0308cher.example",  # u + COMBINING DIAERESIS for ü
    "kate@\uff42\u00fc\uff43\uff48\uff45\uff52.example",  # fullwidth letters
    "kate@xn--bcher-kva.example",  # the domain's punycode
    "Kate@XN--BCHER-KVA.EXAMPLE",  # punycode, upper case
]

# A username whose canonical form is longer than itself.
USERNAME = "stra\u00dfe"
USERNAME_SPELLINGS = [
    "STRASSE",  # ß case-folds to ss
    "strasse",
    "Stra\u00dfe",  # case
    "\uff53\uff54\uff52\uff41\u00df\uff45",  # fullwidth letters
]

# Names and addresses that merely look alike are other accounts.
OTHER_EMAILS = ["kate@bucher.example", "kate@b\u00fccher.example.org", "kat@b\u00fccher.example"]
OTHER_USERNAMES = ["strase", "strasses", "stra\u00dfen"]
