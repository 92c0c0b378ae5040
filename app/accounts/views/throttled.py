from accounts.throttling import throttled_response


class AccountThrottleMixin:
    """Each post of the logged-in user is counted against their account by
    ``throttle`` before the view checks anything in it; over the limit, 429,
    even when what was sent is right. ``forget_attempts`` clears the count
    after a success."""

    throttle = None

    def throttled_account(self):
        return f"user:{self.request.user.pk}"

    def post(self, request, *args, **kwargs):
        verdict = self.throttle.hit(account=self.throttled_account())
        if verdict.blocked:
            return throttled_response(request, verdict)
        return super().post(request, *args, **kwargs)

    def forget_attempts(self):
        self.throttle.clear("account", self.throttled_account())
