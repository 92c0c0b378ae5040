# What a developer does daily, by name: `make help` lists the tasks. The
# README, .ci/run and the GitHub workflow call these same names.
# Every Python command runs through uv, in the environment uv.lock pins.

.DEFAULT_GOAL := help
.PHONY: help up down test test-fast lint format bench manifests migration

COMPOSE_DEV := docker compose -f compose.dev.yaml
OVERLAYS := dev prod

help: ## list the tasks
	@awk -F ':.*## ' '/^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

up: ## the site on http://127.0.0.1:8000 with PostgreSQL, reloading on changes
	DEV_UID=$$(id -u) $(COMPOSE_DEV) up --build

down: ## stop the development stack (its database volume stays)
	$(COMPOSE_DEV) down

test: ## every test, with coverage: what CI runs (needs what docs/ci.md lists)
	uv run pytest --cov

test-fast: ## the tests that run in-process and need only PostgreSQL
	uv run pytest -m fast -n 2

lint: ## the lock file, ruff's checks and its formatting, unchanged
	uv lock --check
	uv run ruff check .
	uv run ruff format --check .

format: ## apply ruff's fixes and formatting
	uv run ruff check --fix .
	uv run ruff format .

bench: ## the benchmark against gunicorn and the unguarded app (minutes; ARGS=--quick)
	uv run python bench/run.py $(ARGS)

manifests: ## render each Kubernetes overlay (kubectl kustomize) into build/k8s/
	@mkdir -p build/k8s
	@for overlay in $(OVERLAYS); do \
		kubectl kustomize k8s/overlays/$$overlay > build/k8s/$$overlay.yaml && echo build/k8s/$$overlay.yaml; \
	done

migration: ## the migrations a model change needs (NAME=what_changed to name it)
	cd app && DEBUG=true uv run python manage.py makemigrations $(if $(NAME),--name $(NAME))
