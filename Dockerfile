# The service's image, built in stages:
#   base     what every stage shares: the environment, the health check
#   deps     the locked runtime dependencies in /opt/venv (their own layer)
#   builder  deps with the app and its collected static files
#   runtime  the default target: the virtual environment and the app, nothing else
#   dev      deps with the dev dependencies added, and uvicorn --reload, for compose.dev.yaml
#
# Base images are build arguments with pinned tags, so that a build can point
# them at a mirror without editing this file.
ARG PYTHON_IMAGE=python:3.13-slim-trixie
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# --- base --------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS base

# The server listens on UVICORN_HOST:UVICORN_PORT (app/server/run.py); the
# port is written here once, and the health check asks it. The server and the
# worker serve their Prometheus metrics on METRICS_PORT, never routed. The worker
# (manage.py worker) keeps its liveness file in /tmp, where its probe
# (python -m worker.probe) reads it.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000 \
    METRICS_PORT=9464 \
    WORKER_HEARTBEAT_FILE=/tmp/worker-heartbeat

EXPOSE ${UVICORN_PORT}

# Liveness without curl: the image's own Python asks /healthz (app/health/probe.py).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-m", "health.probe"]

ENTRYPOINT ["/srv/deploy/entrypoint.sh"]

# --- deps --------------------------------------------------------------------
FROM base AS deps

COPY --from=uv /uv /bin/uv

# Compile bytecode at install (the runtime filesystem is read-only), copy
# rather than hard-link out of the cache mount, never download a Python: the
# base image's is the one, and the venv lives where the runtime expects it.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0 \
    UV_PROJECT_ENVIRONMENT=/opt/venv

WORKDIR /srv

# Dependencies only, from the lock file: this layer changes when uv.lock does.
# The project itself is virtual (uv.lock installs nothing for it): the app is
# copied, not installed.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-dev --no-install-project

# --- builder -----------------------------------------------------------------
FROM deps AS builder

COPY app ./app
COPY deploy/entrypoint.sh ./deploy/entrypoint.sh

# Hashed, compressed static files, built into the image. The settings need a
# database URL and a secret to load; neither is used or kept.
RUN DATABASE_URL=postgres://build@localhost/build \
    SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python app/manage.py collectstatic --noinput \
    && python -m compileall -q app

# --- runtime -----------------------------------------------------------------
FROM base AS runtime

# The git revision this image is built from; Sentry reports it as the release.
ARG GIT_REVISION=""
LABEL org.opencontainers.image.source="djangoship" \
      org.opencontainers.image.revision="${GIT_REVISION}"

ENV SENTRY_RELEASE=${GIT_REVISION}

# A numeric user with no home and no shell; the code stays owned by root, so
# the process cannot change it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /srv/app /srv/app
COPY --from=builder /srv/staticfiles /srv/staticfiles
COPY --from=builder /srv/deploy /srv/deploy

WORKDIR /srv/app
USER 10001:10001

# uvicorn with the service's request limits and options (app/server/run.py).
CMD ["python", "-m", "server"]

# --- dev ---------------------------------------------------------------------
FROM deps AS dev

# The dev dependency group on top of the runtime's layer.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-install-project

# compose.dev.yaml mounts the source over app/; the copy makes the image work alone.
COPY pyproject.toml uv.lock ./
COPY app ./app
COPY deploy ./deploy

# The developer's uid (compose.dev.yaml passes it), so files the container
# writes into the mounted source (new migrations) belong to them.
ARG DEV_UID=1000
RUN groupadd --gid "${DEV_UID}" dev \
    && useradd --uid "${DEV_UID}" --gid "${DEV_UID}" --no-create-home --home-dir /tmp dev

WORKDIR /srv/app
USER ${DEV_UID}

CMD ["/srv/deploy/dev-server.sh"]
