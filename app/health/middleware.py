"""Answers to the probes, before anything else runs."""

import json

from django.http import HttpResponse

from config.middleware import AsyncCapableMiddleware
from health import checks
from health.paths import LIVENESS_PATH, READINESS_PATH


class HealthCheckMiddleware(AsyncCapableMiddleware):
    """Answer ``/healthz`` and ``/readyz`` before any other middleware.

    Probes call with a bare pod IP as ``Host`` and over plain HTTP, so these
    answers come before ``ALLOWED_HOSTS`` is checked (CommonMiddleware), and
    their paths are exempt from the HTTPS redirect (``SECURE_REDIRECT_EXEMPT``).
    """

    def handle(self, request):
        if request.path == LIVENESS_PATH:
            return liveness_response()
        if request.path == READINESS_PATH:
            return readiness_response(*checks.readiness())
        return self.get_response(request)

    async def ahandle(self, request):
        if request.path == LIVENESS_PATH:
            return liveness_response()
        if request.path == READINESS_PATH:
            return readiness_response(*await checks.areadiness())
        return await self.get_response(request)


def probe_answer(response):
    """Never cached; marked for the access log, which logs it at DEBUG."""
    response["Cache-Control"] = "no-store"
    response.probe_answer = True
    return response


def liveness_response():
    return probe_answer(HttpResponse("ok\n", content_type="text/plain"))


def readiness_response(ready, checks):
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    response = HttpResponse(
        json.dumps(body), content_type="application/json", status=200 if ready else 503
    )
    return probe_answer(response)
