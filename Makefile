# MyFoodBudget on k3s. Every target bootstraps .venv on its own; `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv system-deps run demo test lint fmt bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

venv: $(STAMP) ## create .venv with every Python package the project needs (pinned by constraints.txt)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade 'pip>=24,<27'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

system-deps: ## install the system packages the tests use (chromium, actionlint), skipped when present
	@bash scripts/system-deps.sh

run: venv ## serve the app on http://127.0.0.1:8000 with a local SQLite file
	APP_ENV=development $(BIN)/flask --app app db upgrade
	APP_ENV=development PORT=8000 BIND_HOST=127.0.0.1 $(BIN)/python -m gunicorn -c app/gunicorn.conf.py app.wsgi:app

demo: venv ## the whole GitOps flow on the sandbox: operator, GitSync, Release and the app
	@bash scripts/demo.sh

lint: venv system-deps ## ruff, mypy, and the delivery checks (Dockerfile, workflows, manifests, shell)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@bash scripts/lint-delivery.sh

fmt: venv ## format and auto-fix the Python code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint ## lint, then the whole test suite with coverage (app/ and operator/ must stay >= 90%)
	$(BIN)/coverage erase
	$(BIN)/python -m pytest --durations=15 --cov --cov-report=xml:coverage.xml $(PYTEST_ARGS)
	@for part in app operator sandbox scripts; do printf 'coverage of %-10s %s%%\n' "$$part/" "$$($(BIN)/coverage report --include="$$part/*" --format=total)"; done
	@for part in app operator; do $(BIN)/coverage report --include="$$part/*" --fail-under=90 > /dev/null || { echo "coverage of $$part/ is under 90%: $(BIN)/coverage report --include='$$part/*' lists the lines"; exit 1; }; done

bench: venv ## run every benchmark in bench/ (prints ratios measured side by side)
	@set -e; for f in bench/*.py; do echo "== $$f"; $(BIN)/python "$$f"; done

clean: ## remove the virtualenv, caches and build output
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache .coverage* coverage.xml build *.egg-info
