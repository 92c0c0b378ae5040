"""The answer to a request that cannot be served as sent: 413 for a body
over the limit, 400 for a request or a form that cannot be read."""

from asgiref.sync import sync_to_async
from django.core.exceptions import BadRequest

from config.middleware import AsyncCapableMiddleware
from errors import views
from limits.asgi import BODY_TOO_LARGE, UNREADABLE


class RequestLimitsMiddleware(AsyncCapableMiddleware):
    """Answer, before anything else reads it, a request that cannot be served
    as sent: a body over ``REQUEST_MAX_BODY_SIZE`` (found by ``limits.asgi``)
    gets the 413 page; a request Django could not parse, or a POSTed form it
    cannot read (a charset other than UTF-8, a broken multipart body), gets
    the 400 page, whatever URL it was sent to.

    It sits below the security headers and above everything else, the health
    endpoints included, so that no body over the limit is ever read, and a
    form is read here once: an error page reading it again finds it parsed.
    """

    def handle(self, request):
        self.refuse_unreadable(request)
        if marked(request, BODY_TOO_LARGE):
            return views.payload_too_large(request)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            read_form(request)
        return self.get_response(request)

    async def ahandle(self, request):
        self.refuse_unreadable(request)
        if marked(request, BODY_TOO_LARGE):
            # The page shows the user, whose session is read from the database.
            return await sync_to_async(views.payload_too_large)(request)
        if request.method == "POST":
            if request.content_type == URLENCODED:
                read_form(request)  # in memory: the body is bounded and already read
            elif request.content_type == MULTIPART:
                # Files may be written to disk: not on the event loop.
                await sync_to_async(read_form)(request)
        return await self.get_response(request)

    @staticmethod
    def refuse_unreadable(request):
        error = marked(request, UNREADABLE)
        if error is not None:
            # Django's handler400 answers it, and logs it, like any bad request.
            raise BadRequest(f"Unreadable request: {error}") from error


def marked(request, key):
    """What ``limits.asgi`` found about the request (nothing under the test
    client, whose requests have no ASGI scope)."""
    return getattr(request, "scope", {}).get(key)


URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
FORM_TYPES = frozenset({URLENCODED, MULTIPART})


def read_form(request):
    """Parse the POSTed form; one that cannot be parsed is a bad request.

    Django answers its own parse errors (a non-UTF-8 form, too many fields,
    a broken multipart body) with 400, but reads a charset it does not know as
    UTF-8, and one that is no text encoding (rot13) fails with LookupError or
    ValueError, which would be a 500.
    """
    if "charset" in request.content_params and request.encoding is None:
        # Django ignores a charset it does not know and reads UTF-8 instead.
        request._mark_post_parse_error()
        raise BadRequest("Unreadable form: a charset Python does not know")
    try:
        request.POST  # noqa: B018 - reading it parses the form
    except Exception as error:
        # The error pages read request.POST again (for a CSRF token): they
        # find it empty instead of failing a second time.
        request._mark_post_parse_error()
        if isinstance(error, (LookupError, ValueError)):
            raise BadRequest(f"Unreadable form: {error}") from error
        raise
