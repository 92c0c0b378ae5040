"""The security events the audit trail records, each once, with the words
a person reads on the profile page and in the admin."""

from django.db import models


class Event(models.TextChoices):
    SIGNUP = "signup", "Account created"
    LOGIN = "login", "Logged in"
    LOGIN_FAILED = "login_failed", "Wrong password at login"
    PASSWORD_FAILED = "password_failed", "Wrong password at a confirmation"
    SECOND_FACTOR_FAILED = "second_factor_failed", "Wrong second-factor code"
    THROTTLED = "throttled", "Too many attempts: refused"
    LOGOUT = "logout", "Logged out"
    REAUTHENTICATED = "reauthenticated", "Password confirmed again"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset by an emailed link"
    EMAIL_VERIFIED = "email_verified", "Email address verified"
    EMAIL_CHANGE_REQUESTED = "email_change_requested", "Change of email address asked for"
    EMAIL_CHANGED = "email_changed", "Email address changed"
    SECOND_FACTOR_ENABLED = "second_factor_enabled", "Second factor turned on"
    SECOND_FACTOR_DISABLED = "second_factor_disabled", "Second factor turned off"
    RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
    RECOVERY_CODES_REPLACED = "recovery_codes_replaced", "New recovery codes made"
    ADMIN_LOGIN = "admin_login", "Admin opened"
