"""The fast path's CSP middleware sets the headers Django's sets, in every
case, though it builds a policy without a nonce once per configuration."""

from django.http import HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangosMiddleware
from django.test import RequestFactory, SimpleTestCase, override_settings
from django.utils.csp import CSP

from fastpath.middleware import ContentSecurityPolicyMiddleware as FastPathMiddleware

ENFORCE, REPORT_ONLY = str(CSP.HEADER_ENFORCE), str(CSP.HEADER_REPORT_ONLY)
OTHER_CSP = {"default-src": [CSP.NONE], "script-src": [CSP.SELF, CSP.NONCE]}


def page(request, use_nonce=False, config=None, own_header=None):
    """A view's response: it may read the nonce, carry a config of its own
    (as Django's csp_override decorator sets) or set the header itself."""
    if use_nonce:
        str(request._csp_nonce)
    response = HttpResponse("page")
    if config is not None:
        response._csp_config = config
    if own_header is not None:
        response[ENFORCE] = own_header
    return response


class SameHeadersAsDjangosTests(SimpleTestCase):
    def headers_from(self, middleware_class, middleware=None, **view):
        """The CSP headers ``middleware_class`` (or the instance ``middleware``,
        which keeps what it built) sets on a response to a GET of /."""
        middleware = middleware or middleware_class(lambda request: page(request, **view))
        response = middleware(RequestFactory().get("/"))
        return {name: response.get(name) for name in (ENFORCE, REPORT_ONLY)}, response

    def assertSameAsDjangos(self, fast=None, **view):
        """Our headers equal Django's for this view, on a fresh instance and
        on ``fast`` (one that has answered before); returns ours."""
        djangos, _ = self.headers_from(DjangosMiddleware, **view)
        middleware = fast or FastPathMiddleware(lambda request: page(request, **view))
        for _ in range(2):  # built, then from what it kept
            ours, _ = self.headers_from(FastPathMiddleware, middleware=middleware)
            self.assertEqual(ours, djangos)
        return ours

    def test_a_response_that_used_no_nonce(self):
        ours = self.assertSameAsDjangos()
        self.assertIn("script-src 'self'", ours[ENFORCE])
        self.assertNotIn("nonce", ours[ENFORCE])

    def test_a_response_that_used_its_nonce_gets_its_own_in_the_policy(self):
        middleware = FastPathMiddleware(lambda request: page(request, use_nonce=True))
        nonces = set()
        for _ in range(3):
            response = middleware(RequestFactory().get("/"))
            policy = response[ENFORCE]
            self.assertRegex(policy, r"script-src 'self' 'nonce-[\w-]+'")
            nonces.add(policy)
        self.assertEqual(len(nonces), 3)  # never one kept from another response

    def test_a_config_of_the_responses_own(self):
        ours = self.assertSameAsDjangos(config=OTHER_CSP)
        self.assertIn("default-src 'none'", ours[ENFORCE])

    def test_a_header_the_view_set_itself_is_kept(self):
        ours = self.assertSameAsDjangos(own_header="default-src 'self'")
        self.assertEqual(ours[ENFORCE], "default-src 'self'")

    def test_an_empty_config_sets_no_header(self):
        self.assertSameAsDjangos(config={})

    def test_a_changed_setting_is_seen_at_once(self):
        middleware = FastPathMiddleware(page)
        before = self.assertSameAsDjangos(fast=middleware)
        with override_settings(SECURE_CSP=OTHER_CSP, SECURE_CSP_REPORT_ONLY={"img-src": "*"}):
            after = self.assertSameAsDjangos(fast=middleware)
        self.assertNotEqual(after[ENFORCE], before[ENFORCE])
        self.assertEqual(after[REPORT_ONLY], "img-src *")
