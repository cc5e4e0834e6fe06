# MyFoodBudget on k3s. Every target bootstraps .venv on its own; `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# pytest-xdist workers of make test's process-runtime session: its tests mostly wait on
# clusters and servers, so more workers than cores pay off, even with the docker session
# alongside.
WORKERS ?= 3

.DEFAULT_GOAL := help
.PHONY: help venv system-deps images run demo test lint fmt bench reliability clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

venv: $(STAMP) ## create .venv with every Python package the project needs (pinned by constraints.txt)

# Quiet unless it fails: pip's output goes to $(VENV)/install.log, shown when pip fails.
$(STAMP): pyproject.toml constraints.txt
	@echo "venv: installing the pinned packages into $(VENV) (about a minute; log: $(VENV)/install.log)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@{ $(BIN)/python -m pip install --disable-pip-version-check --upgrade 'pip>=24,<27' \
	  && $(BIN)/python -m pip install --disable-pip-version-check -c constraints.txt -e '.[dev]'; \
	} > $(VENV)/install.log 2>&1 || { tail -n 40 $(VENV)/install.log; echo "venv: pip failed (last lines above, all of it in $(VENV)/install.log)"; exit 1; }
	@touch $@

system-deps: ## install the system packages the tests use (chromium, sshd, docker.io, mmdebstrap, lint tools), skipped when present
	@bash scripts/system-deps.sh

images: ## build the app, operator and e2e test images in the project's container engine (starts it)
	@bash scripts/engine.sh up
	@bash scripts/images.sh

run: venv ## serve the app on http://127.0.0.1:8000 with a local SQLite file
	APP_ENV=development $(BIN)/flask --app app db upgrade
	APP_ENV=development PORT=8000 BIND_HOST=127.0.0.1 $(BIN)/python -m gunicorn -c app/gunicorn.conf.py app.wsgi:app

# From a terminal the demo runs as a job of its own (bash -m), so Ctrl-C reaches only the demo,
# which stops what it started and exits 0; make itself never sees the signal.
demo: venv ## the whole GitOps flow on the sandbox: operator, GitSync, Release and the app
	@if [ -t 0 ]; then bash -m -c 'bash scripts/demo.sh'; else bash scripts/demo.sh; fi

lint: venv system-deps ## ruff, mypy, and the delivery checks (Dockerfile, workflows, manifests, shell)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@bash scripts/lint-delivery.sh

fmt: venv ## format and auto-fix the Python code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The engine is held by this recipe's shell (its pid is the lease) and stopped at the end only
# when this run started it. Two pytest sessions run side by side: DOCKER_E2E (and DOCKER_TOO)
# on the sandbox's docker runtime with the operator in it from manifests/, its output in
# build/docker-e2e.log and shown when it ends; everything else but DOCKER_E2E on the process
# runtime, spread over WORKERS pytest-xdist workers. DOCKER_TOO runs on both. Coverage is the
# process session's (in the docker one the operator and the app run in containers); both add
# to the same reliability records (emptied first). Both take E2E_READINESS_TIMEOUT as on k3s:
# with two sessions on two cores, a good app may take more than the 10 s of a lone run to start.
DOCKER_E2E := tests/e2e/test_gitsync.py tests/e2e/test_gitsync_release.py tests/e2e/test_release.py \
	tests/e2e/test_release_faults.py tests/delivery/test_install.py tests/e2e/test_reliability_crash_pod.py \
	tests/e2e/test_operator_identity.py
DOCKER_TOO := tests/e2e/test_release_preflight.py tests/e2e/test_release_backup.py \
	tests/e2e/test_release_bad_inputs.py tests/e2e/test_release_health.py \
	tests/e2e/test_release_image.py tests/e2e/test_gitsync_scope.py tests/e2e/test_reliability_crash_gitsync.py
DOCKER_LOG := build/docker-e2e.log
test: lint ## lint, start the engine, build the images, the whole test suite with coverage (app/ and operator/ >= 90%), docs/reliability.md, the quick benches
	@set -e; lease=$$$$; docker_e2e=; bash scripts/engine.sh up --lease $$lease; \
	trap '[ -z "$$docker_e2e" ] || kill "$$docker_e2e" 2>/dev/null; bash scripts/engine.sh down --lease '"$$lease" EXIT; \
	eval "$$(bash scripts/engine.sh env)"; \
	bash scripts/images.sh; \
	$(BIN)/coverage erase; rm -rf .reliability && mkdir -p build; \
	echo "docker runtime, alongside: $(BIN)/python -m pytest --sandbox-runtime docker $(DOCKER_E2E) $(DOCKER_TOO) (output: $(DOCKER_LOG))"; \
	export E2E_READINESS_TIMEOUT=30 RELIABILITY_APPEND=1; \
	$(BIN)/python -m pytest --sandbox-runtime docker --durations=15 $(DOCKER_E2E) $(DOCKER_TOO) > $(DOCKER_LOG) 2>&1 & docker_e2e=$$!; \
	echo "process runtime: $(BIN)/python -m pytest -n $(WORKERS) --dist worksteal --durations=15 --cov $(PYTEST_ARGS) (but DOCKER_E2E)"; \
	process_rc=0; $(BIN)/python -m pytest -n $(WORKERS) --dist worksteal --durations=15 --cov --cov-report=xml:coverage.xml $(addprefix --ignore=,$(DOCKER_E2E)) $(PYTEST_ARGS) || process_rc=$$?; \
	echo "== the docker runtime's session ($(DOCKER_LOG))"; docker_rc=0; wait $$docker_e2e || docker_rc=$$?; docker_e2e=; cat $(DOCKER_LOG); \
	[ $$process_rc = 0 ] || { echo "make test: the process runtime's session failed (exit $$process_rc, its report above the docker one)"; exit 1; }; \
	[ $$docker_rc = 0 ] || { echo "make test: the docker runtime's session failed (exit $$docker_rc, its report just above; also in $(DOCKER_LOG))"; exit 1; }; \
	$(BIN)/python scripts/reliability_docs.py --check; \
	$(BIN)/python scripts/reliability_docs.py; \
	for b in bench/*.py; do echo "== $$b --quick"; $(BIN)/python "$$b" --quick; done; \
	for part in app operator sandbox scripts; do printf 'coverage of %-10s %s%%\n' "$$part/" "$$($(BIN)/coverage report --include="$$part/*" --format=total)"; done; \
	for part in app operator; do $(BIN)/coverage report --include="$$part/*" --fail-under=90 > /dev/null || { echo "coverage of $$part/ is under 90%: $(BIN)/coverage report --include='$$part/*' lists the lines"; exit 1; }; done

bench: venv ## run every benchmark in bench/ (prints ratios measured side by side)
	@set -e; for f in bench/*.py; do echo "== $$f"; $(BIN)/python "$$f"; done

reliability: venv ## rewrite docs/reliability.md from the records the last test run left in .reliability/
	$(BIN)/python scripts/reliability_docs.py

clean: ## remove the virtualenv, caches and build output
	rm -rf $(VENV) .tools .reliability .mypy_cache .ruff_cache .pytest_cache .coverage* coverage.xml build *.egg-info
