"""The labels of the request metrics are bounded: a client cannot grow them
by inventing methods or paths."""

from django.http import HttpResponse
from django.test import RequestFactory, SimpleTestCase, TestCase
from prometheus_client import REGISTRY

from metrics.middleware import method_name, route_name


class LabelTests(SimpleTestCase):
    def test_an_invented_method_is_other(self):
        for method, label in (("GET", "GET"), ("POST", "POST"), ("FROB", "other")):
            with self.subTest(method=method):
                request = RequestFactory().generic(method, "/")
                self.assertEqual(method_name(request), label)

    def test_a_path_no_url_names_is_unmatched_whatever_it_is(self):
        for path in ("/a/", "/../../etc/passwd", "/%ff%fe/"):
            with self.subTest(path=path):
                request = RequestFactory().get(path)
                self.assertEqual(route_name(request, HttpResponse(status=404)), "unmatched")

    def test_a_static_file_is_static(self):
        request = RequestFactory().get("/static/css/site.css")
        self.assertEqual(route_name(request, HttpResponse()), "static")


class CountedInProcessTests(TestCase):
    def count(self):
        labels = {"route": "about", "method": "GET", "status": "200"}
        return REGISTRY.get_sample_value("http_requests_total", labels) or 0

    def test_a_request_is_counted_under_its_url_name(self):
        before = self.count()
        self.client.get("/about/")
        self.assertEqual(self.count(), before + 1)
