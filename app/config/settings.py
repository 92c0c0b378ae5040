"""The one settings module, for every environment.

Environments differ only in the values of the variables read below; each is
documented, with its default, in ``deploy/env.example``. A missing or malformed
variable stops start-up with a line that names it (see ``config.env``).
"""

import re
from pathlib import Path

from django.utils.csp import CSP

from config.env import ConfigError, Env
from config.pool import check_if_idle, note_given_back
from logs.json_lines import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent  # app/
env = Env()

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)

# A fixed key keeps development sessions alive across reloads; it is refused
# the moment DEBUG is off.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-use-this-key-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if DEBUG else None)
if not DEBUG:
    if SECRET_KEY is None:
        raise ConfigError("SECRET_KEY is not set: it is required when DEBUG is off")
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith(
        ("django-insecure", "change-me")
    ):
        raise ConfigError(
            "SECRET_KEY is a placeholder or the development key: set a secret one when DEBUG is off"
        )
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ConfigError(
            "SECRET_KEY is too weak: use at least 50 random characters, such as the "
            "output of `python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
        )

# Each entry a host Django can match; "*" only with DEBUG on. Empty is allowed
# here (migrate and collectstatic run without hosts) and refused by the ASGI
# entry point, the deploy check and /readyz when DEBUG is off (release.checks).
ALLOWED_HOSTS = env.hosts("ALLOWED_HOSTS", default=[], debug=DEBUG)
CSRF_TRUSTED_ORIGINS = env.origins("CSRF_TRUSTED_ORIGINS", default=[])

# Read by uvicorn, not Django: the proxies whose X-Forwarded-For uvicorn
# believes when it sets the client address (REMOTE_ADDR, used for throttling).
# Checked here so that a typo stops start-up instead of trusting the wrong hosts.
FORWARDED_ALLOW_IPS = env.networks("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])

INSTALLED_APPS = [
    "accounts.apps.AccountsAdminConfig",  # django.contrib.admin, behind our login
    # Before django.contrib.auth, so that its createsuperuser is the one run.
    "accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",  # the tasks' table and its worker (TASKS below)
    "django_otp",  # one-time passwords: the second factor (accounts.second_factor)
    "django_otp.plugins.otp_totp",
    "audit",
    "pages",
    "release",
    "maintenance",
    "worker",
]

# The server's handler: "fastpath" (fastpath/: an async-native equivalent of
# each Django and whitenoise class below, same behaviour without needless
# thread hops) or "django" (Django's own get_asgi_application()). The paths
# stay Django's own under both, so that `check --deploy` sees them.
ASGI_HANDLERS = ("fastpath", "django")
ASGI_HANDLER = env.choice("ASGI_HANDLER", ASGI_HANDLERS, default="fastpath")

MIDDLEWARE = [
    # Outermost: a request id and an access line for every request, and its
    # count and time in the metrics.
    "logs.access.RequestLogMiddleware",
    "metrics.middleware.RequestMetricsMiddleware",
    # Security headers on every answer below, the error pages included.
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # A body over the limit, or a request Django could not parse: 413 or 400.
    "limits.middleware.RequestLimitsMiddleware",
    # Probes get their answer before the host check (and are exempt from the
    # HTTPS redirect: SECURE_REDIRECT_EXEMPT).
    "health.middleware.HealthCheckMiddleware",
    # Right after the security headers, so static files skip everything below.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): logged in with a second factor.
    "django_otp.middleware.OTPMiddleware",
    # A user whose address is not verified sees only the page that says so.
    "accounts.middleware.VerifiedEmailRequiredMiddleware",
    # A throttled attempt (Throttled, from any view or the auth backend): 429.
    "accounts.middleware.ThrottledMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# The admin's path, such as "staff-7f3a/": off the path every scanner tries.
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
if not re.fullmatch(r"([A-Za-z0-9._~-]+/)+", ADMIN_URL) or re.search(r"(^|/)\.{1,2}/", ADMIN_URL):
    raise ConfigError(
        f"ADMIN_URL is not a path like 'admin/' ({ADMIN_URL!r}): "
        "letters, digits and ._~- in segments, ending with /, no leading /"
    )

# --- Security (secure by default; "Production settings" in docs/production.md) ---

# HTTPS only: redirect plain HTTP (the health endpoints answer before this),
# and tell browsers to insist on HTTPS for a year, subdomains included.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes call over plain HTTP (health.checks): answered, never redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=31_536_000, minimum=0, maximum=63_072_000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading commits every subdomain to HTTPS in browsers for months, so it is
# opt-in; until it is on, the deploy check's reminder of it (W021) is silenced.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# uvicorn already takes the scheme from X-Forwarded-Proto of the proxies in
# FORWARDED_ALLOW_IPS. Name a header here only for a proxy that marks HTTPS
# some other way; Django then believes that header from anyone who can reach it.
_ssl_header = env.header_name("SECURE_PROXY_SSL_HEADER", default="")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _ssl_header.upper().replace("-", "_"), "https") if _ssl_header else None
)

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# A strict Content Security Policy: our own origin only, no inline script or
# style; a script, if a page ever needs one, carries the request's nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Requests and connections (see "Request limits" in docs/production.md) ---

# The largest request body, in bytes, files included: a declared
# Content-Length over it is answered 413 before the body is read, and a chunked
# body is cut there (limits.asgi). The default fits every form of the service;
# a project that accepts uploads raises it (and the size of /tmp, where
# Django spools bodies over FILE_UPLOAD_MAX_MEMORY_SIZE).
REQUEST_MAX_BODY_SIZE = env.int(
    "REQUEST_MAX_BODY_SIZE", default=1_048_576, minimum=1024, maximum=1_073_741_824
)
# Django's own limit on the non-file part of a body, kept the same.
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_SIZE

# Read by the server's HTTP protocol (limits.protocol), per connection: the
# request line and headers in bytes and in fields (431 beyond), the seconds a
# client has to send them and then its body (408 after), and per process, the
# connections it holds at once (beyond, 503 at once).
REQUEST_MAX_HEADER_SIZE = env.int(
    "REQUEST_MAX_HEADER_SIZE", default=16_384, minimum=1024, maximum=1_048_576
)
REQUEST_MAX_HEADERS = env.int("REQUEST_MAX_HEADERS", default=100, minimum=10, maximum=1000)
REQUEST_HEADER_TIMEOUT = env.float("REQUEST_HEADER_TIMEOUT", default=10, minimum=0.5, maximum=300)
REQUEST_BODY_TIMEOUT = env.float("REQUEST_BODY_TIMEOUT", default=30, minimum=0.5, maximum=3600)
WEB_MAX_CONNECTIONS = env.int("WEB_MAX_CONNECTIONS", default=1000, minimum=1, maximum=100_000)
# Requests one process holds at once, running or waiting for a turn (the
# probes excepted); the next one gets 503 with Retry-After at once and its
# connection closed: a last resort behind the turns below. 0: no bound.
WEB_MAX_IN_FLIGHT = env.int("WEB_MAX_IN_FLIGHT", default=256, minimum=0, maximum=100_000)
# Requests one process runs at once; the next ones wait for a turn, in order
# of arrival. One that would wait longer than WEB_MAX_QUEUE_WAIT seconds, at
# the pace the process keeps, gets 503 with Retry-After at once. The probes
# never wait. 0 turns this off. See limits/turns.py.
WEB_ACTIVE_REQUESTS = env.int("WEB_ACTIVE_REQUESTS", default=2, minimum=0, maximum=1000)
WEB_MAX_QUEUE_WAIT = env.float("WEB_MAX_QUEUE_WAIT", default=0.5, minimum=0.01, maximum=60)
# Server processes per container (uvicorn workers), each with its own pool.
# Where the server listens (uvicorn's own names). The image sets both: the
# port once, for its health check and every file that points at it.
UVICORN_HOST = env.str("UVICORN_HOST", default="127.0.0.1")
UVICORN_PORT = env.int("UVICORN_PORT", default=8000, minimum=0, maximum=65535)
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=1, minimum=1, maximum=64)
# The port of the Prometheus metrics (metrics/), on UVICORN_HOST, apart from
# the application's so that no proxy or route exposes it; the server and the
# task worker each serve their own. 0: no metrics endpoint. The image sets it.
METRICS_PORT = env.int("METRICS_PORT", default=0, minimum=0, maximum=65535)
if METRICS_PORT and METRICS_PORT == UVICORN_PORT:
    raise ConfigError(f"METRICS_PORT ({METRICS_PORT}) is UVICORN_PORT: give the metrics their own")

# --- Database ---------------------------------------------------------------

# PostgreSQL only, through psycopg 3's connection pool. With the pool, Django
# hands each request a pooled connection and returns it at the end of the
# request, so CONN_MAX_AGE must stay 0.
DATABASES = {"default": env.database_url("DATABASE_URL")}
DATABASES["default"].update(
    {
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
    }
)
DATABASES["default"].setdefault("OPTIONS", {}).update(
    {
        # PostgreSQL keeps 63 bytes of it, and only printable ASCII.
        "application_name": env.text(
            "DATABASE_APPLICATION_NAME", default="djangoship", max_length=63, ascii_only=True
        ),
        "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=5, minimum=2, maximum=60),
        "pool": {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2, minimum=0, maximum=100),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4, minimum=1, maximum=100),
            # Seconds a request waits for a free connection before failing.
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0, minimum=0.1, maximum=300),
            # A connection is checked before it is lent only after a second
            # idle (config/pool.py), not on every request.
            "check": check_if_idle,
            "reset": note_given_back,
        },
    }
)
_pool = DATABASES["default"]["OPTIONS"]["pool"]
if _pool["min_size"] > _pool["max_size"]:
    raise ConfigError(
        f"DATABASE_POOL_MIN_SIZE ({_pool['min_size']}) is larger than "
        f"DATABASE_POOL_MAX_SIZE ({_pool['max_size']})"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.UsernameOrEmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "profile"
LOGOUT_REDIRECT_URL = "home"

# Seconds a password-reset link stays valid (it also dies once used).
PASSWORD_RESET_TIMEOUT = env.int(
    "PASSWORD_RESET_TIMEOUT", default=3600, minimum=60, maximum=604_800
)

# Attempts allowed per subject in a fixed window of seconds; the next one gets
# 429 until the window has passed. See accounts/throttling.py.
THROTTLES = {
    "login": {
        "window": env.int("LOGIN_THROTTLE_WINDOW", default=900, minimum=1, maximum=604_800),
        "limits": {
            "account": env.int(
                "LOGIN_THROTTLE_ACCOUNT_LIMIT", default=5, minimum=1, maximum=100_000
            ),
            "address": env.int(
                "LOGIN_THROTTLE_ADDRESS_LIMIT", default=20, minimum=1, maximum=100_000
            ),
        },
    },
    "password_reset": {
        "window": env.int(
            "PASSWORD_RESET_THROTTLE_WINDOW", default=3600, minimum=1, maximum=604_800
        ),
        "limits": {
            "email": env.int(
                "PASSWORD_RESET_THROTTLE_EMAIL_LIMIT", default=3, minimum=1, maximum=100_000
            ),
            "address": env.int(
                "PASSWORD_RESET_THROTTLE_ADDRESS_LIMIT", default=10, minimum=1, maximum=100_000
            ),
        },
    },
    # Every signup attempt counts, successes included: the limit is on
    # accounts made, and on password hashing, from one address.
    "signup": {
        "window": env.int("SIGNUP_THROTTLE_WINDOW", default=3600, minimum=1, maximum=604_800),
        "limits": {
            "address": env.int(
                "SIGNUP_THROTTLE_ADDRESS_LIMIT", default=10, minimum=1, maximum=100_000
            ),
        },
    },
    # Codes of the second factor, after the password (a recovery code too).
    "second_factor": {
        "window": env.int("SECOND_FACTOR_THROTTLE_WINDOW", default=900, minimum=1, maximum=604_800),
        "limits": {
            "account": env.int(
                "SECOND_FACTOR_THROTTLE_ACCOUNT_LIMIT", default=5, minimum=1, maximum=100_000
            ),
            "address": env.int(
                "SECOND_FACTOR_THROTTLE_ADDRESS_LIMIT", default=20, minimum=1, maximum=100_000
            ),
        },
    },
    # "Send the link again", per account: each sends a mail.
    "email_verification": {
        "window": env.int(
            "EMAIL_VERIFICATION_THROTTLE_WINDOW", default=3600, minimum=1, maximum=604_800
        ),
        "limits": {
            "account": env.int(
                "EMAIL_VERIFICATION_THROTTLE_ACCOUNT_LIMIT", default=3, minimum=1, maximum=100_000
            ),
        },
    },
    # Guesses at the password from a logged-in session (perhaps a stolen one):
    # a password change, a confirmation of the password, an email change.
    "password_change": {
        "window": env.int(
            "PASSWORD_CHANGE_THROTTLE_WINDOW", default=900, minimum=1, maximum=604_800
        ),
        "limits": {
            "account": env.int(
                "PASSWORD_CHANGE_THROTTLE_ACCOUNT_LIMIT", default=5, minimum=1, maximum=100_000
            ),
        },
    },
}

# Requests that hash a password (signup, login, password change, reset
# confirm, the admin's login) running at once in one server process; the
# next ones wait up to PASSWORD_HASHING_WAIT seconds for a turn, holding no
# thread and no pooled connection, then get 503. Fewer than the pool's
# connections, so that cheap pages always find one. 0 turns the bound off.
# See limits/admission.py.
PASSWORD_HASHING_CONCURRENCY = env.int(
    "PASSWORD_HASHING_CONCURRENCY", default=1, minimum=0, maximum=100
)
PASSWORD_HASHING_WAIT = env.float("PASSWORD_HASHING_WAIT", default=5.0, minimum=0, maximum=60)
if PASSWORD_HASHING_CONCURRENCY and _pool["max_size"] <= PASSWORD_HASHING_CONCURRENCY:
    raise ConfigError(
        f"PASSWORD_HASHING_CONCURRENCY ({PASSWORD_HASHING_CONCURRENCY}) is not below "
        f"DATABASE_POOL_MAX_SIZE ({_pool['max_size']}): leave connections for cheap "
        "requests, or set it to 0 to turn the bound off"
    )

# Seconds an emailed link to verify an address stays valid (it also dies once
# used, and when the password changes). The same for a signup and for a
# change of address.
EMAIL_VERIFICATION_TIMEOUT = env.int(
    "EMAIL_VERIFICATION_TIMEOUT", default=259_200, minimum=300, maximum=2_592_000
)
# Seconds after a login (or a confirmation of the password) during which a
# sensitive change (email, password, second factor) needs no new one.
REAUTHENTICATION_TIMEOUT = env.int(
    "REAUTHENTICATION_TIMEOUT", default=300, minimum=30, maximum=86_400
)
# The second factor (django-otp): the name an authenticator app shows. Its
# own throttle is off: wrong codes are throttled like passwords (THROTTLES).
OTP_TOTP_ISSUER = env.text("OTP_TOTP_ISSUER", default="Djangoship", max_length=64, forbidden=":")
OTP_TOTP_THROTTLE_FACTOR = 0
# Security events (audit/) are kept this many days, then `manage.py maintain`
# prunes them.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365, minimum=1, maximum=3650)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Background tasks -------------------------------------------------------

# Django's tasks framework (django.tasks), stored in PostgreSQL: code defines
# tasks with @task and calls .enqueue().
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# `manage.py worker` (worker/) runs them: this many at once per process, each
# in a thread with a pooled connection of its own (the pool needs two more,
# for the heartbeat and for LISTEN; the worker refuses to start without them).
WORKER_CONCURRENCY = env.int("WORKER_CONCURRENCY", default=2, minimum=1, maximum=64)
# Runs of a task that raises, the first included; before each retry the
# task waits WORKER_RETRY_DELAY seconds, doubled at every retry (at most an
# hour). A task must therefore be safe to run again (idempotent).
WORKER_MAX_ATTEMPTS = env.int("WORKER_MAX_ATTEMPTS", default=5, minimum=1, maximum=100)
WORKER_RETRY_DELAY = env.float("WORKER_RETRY_DELAY", default=10, minimum=0, maximum=3600)
# On SIGTERM the worker takes no new task and gives the running ones this
# many seconds to finish: the longest task a stop lets finish. Orchestrators
# must wait longer before they kill (k8s: terminationGracePeriodSeconds).
WORKER_SHUTDOWN_TIMEOUT = env.float("WORKER_SHUTDOWN_TIMEOUT", default=30, minimum=1, maximum=3600)
# A worker not heard from for this many seconds is taken for dead, and the
# tasks it was running go back to the queue (or fail, past the attempts).
WORKER_STALE_AFTER = env.float("WORKER_STALE_AFTER", default=30, minimum=3, maximum=3600)
# The worker's liveness file, which `python -m worker.probe` reads; the
# image sets it. Empty: no file.
WORKER_HEARTBEAT_FILE = env.str("WORKER_HEARTBEAT_FILE", default="")
# Finished task results are kept this many days, then `manage.py maintain`
# prunes them.
TASK_RESULTS_RETENTION_DAYS = env.int(
    "TASK_RESULTS_RETENTION_DAYS", default=14, minimum=1, maximum=3650
)

# --- Email ------------------------------------------------------------------

MAILERS = {"default": env.email_url("EMAIL_URL", default="consolemail://")}
DEFAULT_FROM_EMAIL = env.email_address("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
SERVER_EMAIL = env.email_address("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------

# collectstatic writes hashed, compressed copies here; whitenoise serves them
# with a far-future Cache-Control, since a changed file gets a new name.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.absolute_path("STATIC_ROOT", default=str(BASE_DIR.parent / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
# In development, serve files straight from the app folders, re-read on change.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Logs and errors ----------------------------------------------------------

# One JSON object per line in production; readable lines in development.
LOG_FORMAT = env.choice("LOG_FORMAT", ["json", "console"], default="console" if DEBUG else "json")
LOG_LEVEL = env.choice(
    "LOG_LEVEL", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], default="INFO", upper=True
)
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)

SENTRY_DSN = env.str("SENTRY_DSN", default="")
# Sentry refuses an environment with a space or a slash, or over 64
# characters, and a release with a slash or backslash, or over 200.
SENTRY_ENVIRONMENT = env.text(
    "SENTRY_ENVIRONMENT", default="production", max_length=64, forbidden=" /"
)
SENTRY_RELEASE = env.text("SENTRY_RELEASE", default="", max_length=200, forbidden="/\\")
if SENTRY_ENVIRONMENT == "None":
    raise ConfigError("SENTRY_ENVIRONMENT is 'None', a name Sentry refuses")
if SENTRY_RELEASE in {".", ".."}:
    raise ConfigError(f"SENTRY_RELEASE is {SENTRY_RELEASE!r}, a name Sentry refuses")
SENTRY_TRACES_SAMPLE_RATE = env.float(
    "SENTRY_TRACES_SAMPLE_RATE", default=0.0, minimum=0.0, maximum=1.0
)
if SENTRY_DSN:
    from errors.sentry import init_sentry

    init_sentry(SENTRY_DSN, SENTRY_ENVIRONMENT, SENTRY_RELEASE, SENTRY_TRACES_SAMPLE_RATE)
