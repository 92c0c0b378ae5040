from django.shortcuts import render
from django.templatetags.static import static
from django.views.generic import RedirectView, TemplateView


class AsyncTemplateView(TemplateView):
    """A page rendered on the event loop under ASGI.

    The user is fetched with ``auser()`` first: that loads the session (in a
    thread, and only when there is a session cookie), so that rendering, which
    reads ``request.user`` and the messages, does no I/O. The response is
    rendered here, not left as a TemplateResponse for Django to render in a
    thread.
    """

    async def get(self, request, *args, **kwargs):
        request.user = await request.auser()
        return render(request, self.get_template_names(), self.get_context_data(**kwargs))


class HomePageView(AsyncTemplateView):
    template_name = "pages/home.html"


class AboutPageView(AsyncTemplateView):
    template_name = "pages/about.html"


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico on every page, ours or the admin's."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")
