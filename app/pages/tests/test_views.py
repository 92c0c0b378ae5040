from django.test import TestCase
from django.urls import reverse


class HomePageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.url = reverse("home")

    def test_home_page_is_at_the_root(self):
        self.assertEqual(self.url, "/")

    def test_home_page_renders_its_template_inside_the_base(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "pages/home.html")
        self.assertTemplateUsed(response, "base.html")

    def test_home_page_says_what_the_service_is(self):
        response = self.client.get(self.url)
        self.assertContains(response, "<h1>Ship Django with confidence</h1>", html=True)

    def test_home_page_links_to_login_and_signup(self):
        response = self.client.get(self.url)
        self.assertContains(response, 'href="/accounts/login/"')
        self.assertContains(response, 'href="/accounts/signup/"')

    def test_home_page_uses_our_own_stylesheet_and_no_cdn(self):
        response = self.client.get(self.url)
        self.assertContains(response, 'href="/static/css/site.css"')
        self.assertNotRegex(response.content.decode(), r"(src|href)=\"(https?:)?//")


class AboutPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.url = reverse("about")

    def test_about_page_is_at_about(self):
        self.assertEqual(self.url, "/about/")

    def test_about_page_renders_its_template_inside_the_base(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "pages/about.html")
        self.assertTemplateUsed(response, "base.html")
        self.assertContains(response, "<h1>About</h1>", html=True)

    def test_about_page_links_back_home(self):
        response = self.client.get(self.url)
        self.assertContains(response, 'href="/"')


class FaviconTests(TestCase):
    def test_favicon_ico_redirects_to_our_icon(self):
        response = self.client.get("/favicon.ico")
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response["Location"], "/static/favicon.svg")
