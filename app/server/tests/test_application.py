"""``ASGI_HANDLER`` chooses the handler config.asgi serves; both are behind the
turns and the request limits."""

from django.core.handlers.asgi import ASGIHandler as DjangosHandler
from django.test import SimpleTestCase, override_settings

from fastpath.handler import ASGIHandler as FastPathHandler
from limits.asgi import RequestLimits
from limits.turns import Turns
from server.application import served_application


class HandlerChoiceTests(SimpleTestCase):
    @override_settings(ASGI_HANDLER="fastpath")
    def test_fastpath_serves_with_the_fast_paths_handler(self):
        application = served_application()
        self.assertIsInstance(application, RequestLimits)
        self.assertIsInstance(application.app, Turns)
        self.assertIsInstance(application.app.app, FastPathHandler)

    @override_settings(ASGI_HANDLER="django")
    def test_django_serves_with_djangos_own_handler(self):
        application = served_application()
        self.assertIsInstance(application, RequestLimits)
        self.assertIsInstance(application.app, Turns)
        self.assertIs(type(application.app.app), DjangosHandler)
