#!/bin/sh
# The development server of compose.dev.yaml: apply migrations, then serve with
# auto-reload on changes to Python, template and stylesheet files.
set -eu
python manage.py migrate_with_lock --noinput
exec uvicorn config.asgi:application --host 0.0.0.0 --port 8000 \
    --reload --reload-dir /srv/app \
    --reload-include '*.html' --reload-include '*.css' --reload-include '*.txt'
