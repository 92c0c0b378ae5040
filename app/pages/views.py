from django.templatetags.static import static
from django.views.generic import RedirectView, TemplateView


class HomePageView(TemplateView):
    template_name = "pages/home.html"


class AboutPageView(TemplateView):
    template_name = "pages/about.html"


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico on every page, ours or the admin's."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")
