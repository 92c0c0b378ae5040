"""The rules every form that sets a username or an email holds (signup, the
admin's add form, the admin's change form): each a value that must be
refused, and what the field then says. Shared by the tests of each form, so
that a rule one form forgets is a failing test.

The account ``TAKEN_USERNAME`` / ``TAKEN_EMAIL`` exists when they run.
"""

from accounts.tests.spellings import EMAIL, EMAIL_SPELLINGS, USERNAME, USERNAME_SPELLINGS

TAKEN_USERNAME = USERNAME
TAKEN_EMAIL = EMAIL

AT_SIGN = "A username cannot contain @. You can log in with your email as well."
USERNAME_TAKEN = "A user with that username already exists."
EMAIL_TAKEN = "A user with that email address already exists."
REQUIRED = "This field is required."
INVALID_USERNAME = (
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
    "characters."
)

# (field, refused value, the field's error)
IDENTITY_RULES = [
    ("username", "", REQUIRED),
    ("username", "bob@example.com", AT_SIGN),
    ("username", "bob\uff20example", AT_SIGN),  # FULLWIDTH COMMERCIAL AT
    ("username", "bob smith", INVALID_USERNAME),
    ("username", "bob\u202eevil", INVALID_USERNAME),  # RIGHT-TO-LEFT OVERRIDE
    ("username", "x" * 151, "Ensure this value has at most 150 characters (it has 151)."),
    *[("username", spelling, USERNAME_TAKEN) for spelling in USERNAME_SPELLINGS],
    ("email", "", REQUIRED),
    ("email", "not-an-address", "Enter a valid email address."),
    ("email", "a@" + "\ufdfa" * 40 + ".com", "This email address is too long."),
    *[("email", spelling, EMAIL_TAKEN) for spelling in EMAIL_SPELLINGS],
]
