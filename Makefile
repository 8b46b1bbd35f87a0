# Lectern: `make run` starts the app, `make test` runs the tests. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
# uv from the PATH, or a private copy bootstrapped from PyPI into .tools/ on first use.
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
export UV_LINK_MODE ?= copy

.PHONY: run test test-fast lint format bench install install-app system-deps browser-deps fresh-check image-check clean help

help:
	@echo "make run    start Lectern (web + worker) at http://127.0.0.1:8000 on the embedded default"
	@echo "make test   install what the tests need and run the whole suite"
	@echo "make lint   ruff check and format check"
	@echo "make bench  run the benchmarks and write docs/benchmarks.md"

$(CURDIR)/.tools/bin/uv:
	@echo "uv not found: installing it from PyPI into .tools/"
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

# EXTRAS: optional extras, for example EXTRAS="--extra mlx" on Apple Silicon.
EXTRAS ?=

# Everything, test tools included (make test, make bench, make lint).
install: $(UV)
	$(UV) sync --frozen $(EXTRAS)

# What the app needs and nothing more: the test tools (pytest, Playwright, ruff...) stay out of the
# app's environment. --inexact keeps them where `make test` installed them before.
install-app: $(UV)
	$(UV) sync --frozen --no-dev --inexact $(EXTRAS)

run: install-app
	.venv/bin/python manage.py migrate --noinput
	.venv/bin/python manage.py collectstatic --noinput -v 0
	@.venv/bin/python manage.py create_demo_user
	.venv/bin/python manage.py serve

system-deps:
	@bash scripts/install-system-deps.sh

# axe-core for the accessibility checks of tests/browser/test_axe.py, from the npm registry.
browser-deps:
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser/axe --no-audit --no-fund --silent; \
	else \
		echo "npm not found: tests/browser/test_axe.py will be skipped (with CI=true it fails)"; \
	fi

# The whole suite on the embedded default, then the database- and queue-sensitive tests (marker
# `scaleout`) again on PostgreSQL + Redis when they answer on 127.0.0.1; with CI=true they must.
test: install system-deps browser-deps
	$(UV) run --frozen ruff check .
	$(UV) run --frozen pytest
	UV="$(UV)" bash scripts/test-scaleout.sh

# `make run` and `CI=true make test` on a bare Debian 12 made by debootstrap, from a clean clone of
# HEAD (root; scripts/fresh-machine.sh explains). Not part of `make test`.
fresh-check:
	@mkdir -p var
	set -o pipefail; bash scripts/fresh-machine.sh 2>&1 | tee var/fresh-check.log

# The Dockerfile built with podman from the same bare Debian and run as compose.yaml runs it, against
# PostgreSQL, Redis and moto's S3 server on 127.0.0.1, through a real job (scripts/image-check.sh).
image-check: install
	@mkdir -p var
	set -o pipefail; bash scripts/image-check.sh 2>&1 | tee var/image-check.log

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

# About 25-30 minutes on 2 cores; writes docs/benchmarks.md and bench/results.json (bench/README.md).
bench: install system-deps
	$(UV) run --frozen python -m bench.run

clean:
	rm -rf .tools .pytest_cache .ruff_cache test-artifacts
