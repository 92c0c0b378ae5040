"""A WSGI entry point kept only for the benchmark: the same app, settings and
middleware, served by gunicorn's sync workers, as the baseline that teams pick
Django deployments by. The service itself runs on ASGI (config/asgi.py)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.env import load_settings_or_exit

load_settings_or_exit()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
