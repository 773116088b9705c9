# ccm: make help lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# System packages first: a bare Debian has no python3-venv to build the virtualenv with.
$(BIN)/ccm: pyproject.toml
	deploy/install-system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.core-compiled

# The install compiles the core (setup.py); an edit to one of its modules compiles it
# again, or the extension built from the old source would still be the one imported.
$(VENV)/.core-compiled: $(wildcard streams/core/*.py) setup.py | $(BIN)/ccm
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	@touch $@

# deploy/install-k8s-tools builds kustomize and kubeconform (pinned) into .cache/k8s-tools
# with go install, and deploy/install-k8s-schemas makes the Strimzi kinds' schemas in
# .cache/k8s-schemas with Strimzi's CRD generator (Maven Central), for the suite's offline
# check of deploy/k8s.
# axe-core, the accessibility engine the public page is checked with, as the lockfile pins it.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json | $(BIN)/ccm
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: setup
setup: $(BIN)/ccm $(VENV)/.core-compiled $(AXE) ## Install system packages, the virtualenv, the package (its core compiled), axe-core, the k8s tools and schemas
	deploy/install-system-deps
	deploy/install-k8s-tools
	deploy/install-k8s-schemas

.PHONY: run
run: setup ## Demo: Kafka, worker, Prometheus with the alert rules, Alertmanager, the simulator at 60x
	deploy/run-local

.PHONY: test
test: setup ## Lint, then run every test (unit and real-broker integration)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

.PHONY: test-unit
test-unit: setup ## Only the fast tests that need no broker
	$(BIN)/pytest -m 'not integration'

# The bench extra: Quix Streams, the peer bench/versus_peer.py measures ccm against.
$(VENV)/.bench-extra: pyproject.toml $(BIN)/ccm
	$(BIN)/pip install -q -e '.[dev,bench]'
	@touch $@

.PHONY: bench
bench: setup $(VENV)/.bench-extra ## Benchmarks: the pure core; through a real broker the month-of-calls throughput, latency at 2,000 events/s and a scrape with a month of state; ccm against a Quix Streams peer on 6 partitions and on 1 loaded by ccm replay; a year replayed into one worker; a year exported from the log (about 35 minutes)
	@# Every bench runs and prints its figures, a missed target included; the run fails
	@# at the end, naming the benches whose targets were missed.
	@missed=""; for bench in \
		"core_throughput" \
		"end_to_end" \
		"versus_peer --min-peer-ratio 1.5" \
		"versus_peer --partitions 1 --loader replay --min-core-ratio 0.7" \
		"year_replay" \
		"export_year"; do \
		set -- $$bench; name=$$1; shift; \
		echo "$(BIN)/python bench/$$name.py $$*"; \
		$(BIN)/python bench/$$name.py "$$@" || missed="$$missed [$$bench]"; \
	done; \
	if [ -n "$$missed" ]; then echo "bench: targets missed in:$$missed" >&2; exit 1; fi

.PHONY: upgrade-check
upgrade-check: setup ## Try the newest Faust, aiokafka and kafka-python in a virtualenv of their own: the seam's contract tests (which touch points changed), then the suite (UPGRADE_SUITE=unit: no broker)
	deploy/upgrade-check

.PHONY: soak
soak: setup ## Soak: two workers at 100x a force's peak for 10 minutes through a real broker
	$(BIN)/python bench/soak.py

.PHONY: k8s
k8s: setup ## Regenerate deploy/k8s/base/generated/ from the rules, dashboards and targets
	$(BIN)/python deploy/k8s/generate.py

.PHONY: worker
worker: setup ## Run only the worker, against CCM_KAFKA_BOOTSTRAP (default localhost:9092)
	$(BIN)/ccm worker

.PHONY: kafka-start
kafka-start: ## Start the local Kafka broker (port CCM_KAFKA_PORT, default 9092)
	deploy/kafka/local-kafka start

.PHONY: kafka-stop
kafka-stop: ## Stop the local Kafka broker
	deploy/kafka/local-kafka stop

.PHONY: schema
schema: setup ## Regenerate schemas/ccm-event.schema.json from the models
	$(BIN)/python -m schemas.jsonschema

.PHONY: rules
rules: setup ## Regenerate the Prometheus rules and alertmanager.yml from the targets file
	$(BIN)/ccm rules build

.PHONY: dashboards
dashboards: setup ## Rebuild deploy/grafana/dashboards/*.json from dashboards/ and the targets file
	$(BIN)/ccm dashboards build

.PHONY: previews
previews: setup ## Redraw docs/dashboard-*.png from a real Prometheus fed by the simulator (minutes)
	deploy/render-dashboard-previews

.PHONY: public-page
public-page: setup ## Write the public page of two simulated months to .cache/public-page-demo/site and redraw its screenshots in docs/ (about two minutes)
	deploy/render-public-page

.PHONY: clean
clean: ## Remove the virtualenv and caches (not the Kafka jar cache)
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
