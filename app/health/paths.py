"""Where the probes ask: liveness (the process answers) and readiness (it can
serve). The middleware, the image's health check and the manifests' probes
all ask these paths."""

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
PATHS = frozenset({LIVENESS_PATH, READINESS_PATH})
