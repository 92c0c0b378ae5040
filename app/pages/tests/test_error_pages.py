from django.test import RequestFactory, SimpleTestCase, TestCase
from django.views import defaults


class ErrorPageTests(TestCase):
    def test_404_uses_our_page(self):
        response = self.client.get("/no-such-page/")
        self.assertEqual(response.status_code, 404)
        self.assertTemplateUsed(response, "404.html")
        self.assertTemplateUsed(response, "base.html")
        self.assertContains(response, "Page not found", status_code=404)
        self.assertNotContains(response, "no-such-page", status_code=404)


class ServerErrorPageTests(SimpleTestCase):
    def render(self, view, **kwargs):
        request = RequestFactory().get("/")
        return view(request, **kwargs)

    def test_500_uses_our_page_without_a_request_context(self):
        response = self.render(defaults.server_error)
        self.assertEqual(response.status_code, 500)
        body = response.content.decode()
        self.assertIn("Something went wrong", body)
        self.assertIn('href="/static/css/site.css"', body)

    def test_400_and_403_use_our_pages(self):
        bad = self.render(defaults.bad_request, exception=Exception("secret detail"))
        self.assertEqual(bad.status_code, 400)
        self.assertIn("Bad request", bad.content.decode())
        self.assertNotIn("secret detail", bad.content.decode())
        forbidden = self.render(defaults.permission_denied, exception=Exception("secret detail"))
        self.assertEqual(forbidden.status_code, 403)
        self.assertIn("You cannot do that", forbidden.content.decode())
        self.assertNotIn("secret detail", forbidden.content.decode())
