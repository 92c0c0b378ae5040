from django.contrib.auth import check_password_with_timing_attack_mitigation, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from accounts.throttling import client_address, login_throttle

User = get_user_model()


def find_user(identifier):
    """The user whose username or email is ``identifier``, in any case.

    An exact username wins; then a username or email that differs only in
    case. If that still names two users (data older than the rules), nobody.
    """
    try:
        return User._default_manager.get(username=identifier)
    except User.DoesNotExist:
        pass
    matches = list(
        User._default_manager.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))[
            :2
        ]
    )
    return matches[0] if len(matches) == 1 else None


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the username or the email, case-insensitively, throttled.

    Every attempt that comes with a request is counted against the account and
    the client's address before the password is checked (see
    ``accounts.throttling``); over the limit, the password is not even tried,
    and ``request.login_throttled`` carries the verdict for the view to answer
    429. A success clears the account's count and takes back the attempt from
    the address's.
    """

    @sensitive_variables("password")
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        user = find_user(username.strip())
        account = f"user:{user.pk}" if user else f"name:{username.strip().lower()}"
        address = client_address(request) if request is not None else None

        if request is not None:
            verdict = login_throttle.hit(account=account, address=address)
            if verdict.blocked:
                request.login_throttled = verdict
                return None

        if check_password_with_timing_attack_mitigation(
            user, password
        ) and self.user_can_authenticate(user):
            if request is not None:
                login_throttle.clear("account", account)
                login_throttle.forgive("address", address)
            return user
        return None

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        from asgiref.sync import sync_to_async

        return await sync_to_async(self.authenticate)(
            request, username=username, password=password, **kwargs
        )
