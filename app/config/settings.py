"""The one settings module, for every environment.

Environments differ only in the values of the variables read below; each is
documented, with its default, in ``deploy/env.example``. A missing or malformed
variable stops start-up with a line that names it (see ``config.env``).
"""

from pathlib import Path

from config.env import ConfigError, Env

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
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
        raise ConfigError("SECRET_KEY is the development key: set a secret one when DEBUG is off")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ConfigError(
            "SECRET_KEY is too weak: use at least 50 random characters, such as the "
            "output of `python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.origins("CSRF_TRUSTED_ORIGINS", default=[])

# Read by uvicorn, not Django: the proxies whose X-Forwarded-For uvicorn
# believes when it sets the client address (REMOTE_ADDR, used for throttling).
# Checked here so that a typo stops start-up instead of trusting the wrong hosts.
FORWARDED_ALLOW_IPS = env.networks("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])

INSTALLED_APPS = [
    "accounts.apps.ThrottledAdminConfig",  # django.contrib.admin, throttled login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "accounts",
    "pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, so static files skip everything below.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

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
        "application_name": env.str("DATABASE_APPLICATION_NAME", default="djangoship"),
        "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=5, minimum=1),
        "pool": {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2, minimum=0),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10, minimum=1),
            # Seconds a request waits for a free connection before failing.
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0, minimum=0.1),
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
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600, minimum=60)

# Attempts allowed per subject in a fixed window of seconds; the next one gets
# 429 until the window has passed. See accounts/throttling.py.
THROTTLES = {
    "login": {
        "window": env.int("LOGIN_THROTTLE_WINDOW", default=900, minimum=1),
        "limits": {
            "account": env.int("LOGIN_THROTTLE_ACCOUNT_LIMIT", default=5, minimum=1),
            "address": env.int("LOGIN_THROTTLE_ADDRESS_LIMIT", default=20, minimum=1),
        },
    },
    "password_reset": {
        "window": env.int("PASSWORD_RESET_THROTTLE_WINDOW", default=3600, minimum=1),
        "limits": {
            "email": env.int("PASSWORD_RESET_THROTTLE_EMAIL_LIMIT", default=3, minimum=1),
            "address": env.int("PASSWORD_RESET_THROTTLE_ADDRESS_LIMIT", default=10, minimum=1),
        },
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email ------------------------------------------------------------------

MAILERS = {"default": env.email_url("EMAIL_URL", default="consolemail://")}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------

# collectstatic writes hashed, compressed copies here; whitenoise serves them
# with a far-future Cache-Control, since a changed file gets a new name.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR.parent / "staticfiles")))
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
