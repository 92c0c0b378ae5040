from django.contrib.auth import check_password_with_timing_attack_mitigation, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.views.decorators.debug import sensitive_variables

from accounts.identity import canonical_identifier
from accounts.throttling import Throttled, client_address, login_throttle
from audit.events import Event
from audit.trail import record

User = get_user_model()


def find_user(identifier):
    """The user whose username or email is ``identifier``, in any spelling.

    An identifier with an ``@`` is an email, any other a username (no
    username can hold an ``@``: the database refuses it). Either way one
    lookup of its canonical form (``accounts.identity``) on a column that is
    unique, so it names one user or nobody.
    """
    canonical = canonical_identifier(identifier)
    field = "email_canonical" if "@" in canonical else "username_canonical"
    return User._default_manager.filter(**{field: canonical}).first()


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the username or the email, in any spelling, throttled.

    Every attempt that comes with a request is counted against the account and
    the client's address before the password is checked (see
    ``accounts.throttling``); over the limit, the password is not even tried:
    ``Throttled`` is raised, and ``accounts.middleware`` answers 429, for our
    login and the admin's alike. A success clears the account's count and
    takes back the attempt from the address's.
    """

    @sensitive_variables("password")
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        user = find_user(username)
        # Every spelling of one account is one counter: its id when it
        # exists, and otherwise the name typed, which the throttle's key
        # takes in its canonical form.
        account = f"user:{user.pk}" if user else f"name:{username}"
        address = client_address(request) if request is not None else None

        if request is not None:
            verdict = login_throttle.hit(account=account, address=address)
            if verdict.blocked:
                raise Throttled(verdict, user=user)

        if check_password_with_timing_attack_mitigation(
            user, password
        ) and self.user_can_authenticate(user):
            if request is not None:
                login_throttle.clear("account", account)
                login_throttle.forgive("address", address)
            return user
        if request is not None:
            record(Event.LOGIN_FAILED, request, user)
        return None

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        from asgiref.sync import sync_to_async

        return await sync_to_async(self.authenticate)(
            request, username=username, password=password, **kwargs
        )
