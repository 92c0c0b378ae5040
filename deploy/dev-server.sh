#!/bin/sh
# The development server of compose.dev.yaml: apply migrations, then serve with
# auto-reload on changes to Python, template, stylesheet and text files
# (app/server/run.py), with the same request limits as production.
set -eu
python manage.py migrate_with_lock --noinput
exec python -m server --reload
