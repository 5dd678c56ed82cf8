# DictaMesh infrastructure. `make up` brings the dev stack up; `make test` checks everything offline.
SHELL := /bin/bash
STACK ?= dev
UV_VERSION := 0.13.8
# uv from PATH, or a private copy in a venv of its own: pip refuses system-wide installs under PEP 668
UV_HOME := $(HOME)/.cache/dictamesh/uv-$(UV_VERSION)
UV := $(or $(shell command -v uv 2>/dev/null),$(UV_HOME)/bin/uv)

# The Docker provider reads DOCKER_HOST only, not the CLI's current context (Docker Desktop on Linux,
# Colima, Rancher Desktop): take the context's endpoint when DOCKER_HOST is unset.
ifndef DOCKER_HOST
DOCKER_CONTEXT_HOST := $(shell docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null)
ifneq ($(DOCKER_CONTEXT_HOST),)
export DOCKER_HOST := $(DOCKER_CONTEXT_HOST)
endif
endif

# Local-first state: a directory of this checkout, no cloud account (see README: "Moving state").
export PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state
# The dev stack's secrets only guard a laptop: an empty passphrase unless you set one.
ifeq ($(STACK),dev)
export PULUMI_CONFIG_PASSPHRASE ?=
endif

PULUMI := pulumi --non-interactive
DEV := docker exec -it dictamesh-dev
POLICY := --policy-pack policies --policy-pack-config policies/config/$(STACK).json

.PHONY: help setup preflight policy-pack up preview destroy test test-deps lint typecheck unit docs package benchmark outputs \
	dev-up dev-down dev-reset dev-logs restart clean status health local-cluster e2e e2e-dev e2e-deps logs postgres-cli redis-cli kafka-topics \
	kafka-create-topic kafka-consume console-ui grafana-ui prometheus-ui jaeger-ui sentry-ui sentry-cleanup catalog-dump catalog-restore

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

$(UV_HOME)/bin/uv:
	@echo "uv not found: installing uv $(UV_VERSION) into $(UV_HOME)"
	@python3 -m venv "$(UV_HOME)" || { echo "make: cannot create a Python venv. Install uv (https://docs.astral.sh/uv/getting-started/installation/) or python3-venv, then run make again" >&2; exit 1; }
	"$(UV_HOME)/bin/pip" install --quiet "uv==$(UV_VERSION)"

# Bytecode compiled at install, as pip does by default and uv does not: where PYTHONDONTWRITEBYTECODE is set,
# every interpreter (each preview, test worker and policy pack) would otherwise compile the SDKs from source.
.venv: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch .venv

setup: .venv ## install the pinned toolchain and dependencies into .venv
	@mkdir -p .pulumi-state

preflight: ## check the tools, engine, passphrase and host ports that `pulumi up` needs for STACK
	@scripts/preflight.sh $(STACK)
	@$(MAKE) --no-print-directory setup
	@$(UV) run --frozen python -m scripts.host_ports $(STACK)

# The CLI runs a local policy pack from its own venv but never creates it.
policies/venv: policies/requirements.txt | $(UV)
	$(UV) venv --quiet --seed --python 3.11 policies/venv
	$(UV) pip install --quiet --compile-bytecode --python policies/venv/bin/python -r policies/requirements.txt
	@touch policies/venv

policy-pack: policies/venv ## the policy pack's own venv, which `pulumi --policy-pack policies` runs in

.pulumi-state/.stack-$(STACK): | setup
	$(PULUMI) stack select $(STACK) --create --secrets-provider passphrase
	@touch $@

up: preflight policy-pack ## preflight, then `pulumi up` for STACK (default dev) with the policy pack
	@$(MAKE) --no-print-directory .pulumi-state/.stack-$(STACK)
	$(PULUMI) up --stack $(STACK) --yes $(POLICY)

preview: preflight policy-pack ## `pulumi preview --diff` for STACK with the policy pack, as pull requests run it
	@$(MAKE) --no-print-directory .pulumi-state/.stack-$(STACK)
	$(PULUMI) preview --stack $(STACK) --diff $(POLICY)

destroy: setup ## remove the STACK's resources, keeping its data (volumes, claims); prod is protected and refuses
	$(PULUMI) destroy --stack $(STACK) --yes

outputs: setup ## endpoints of STACK; add SECRETS=1 to show credentials
	$(PULUMI) stack output --stack $(STACK) $(if $(SECRETS),--show-secrets)

test: lint typecheck unit ## everything CI runs: ruff, mypy and pytest, offline (needs `make test-deps` once)

test-deps: ## install the real servers the tests run (Debian/Ubuntu: apt-get, with sudo unless root)
	@scripts/test-deps.sh install

lint: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: setup
	$(UV) run --frozen mypy

# one worker per core, each taking whole test files, so a module's servers start once
unit: setup
	@scripts/test-deps.sh check
	$(UV) run --frozen pytest -q -n auto --dist loadfile

e2e-deps: ## what `make e2e` needs beyond test-deps: dockerd, and the Pulumi engine (built when none is installed)
	@scripts/e2e-deps.sh

e2e: setup policy-pack ## the real-engine tier: every stack on the real Pulumi engine, a local cluster and dockerd
	@scripts/test-deps.sh check
	$(UV) run --frozen python -m scripts.e2e

e2e-dev: setup policy-pack ## dev's stage of the real-engine tier alone: dockerd and stand-in images, no cluster
	@scripts/test-deps.sh check
	$(UV) run --frozen python -m scripts.e2e --dev

docs: setup ## regenerate docs/configuration.md, the package's arguments, schema and API reference (docs/package.md)
	$(UV) run --frozen python -m scripts.config_reference
	$(UV) run --frozen python -m scripts.package_args
	$(UV) run --frozen python -m scripts.package_schema

package: | $(UV) ## the component package's wheel, into dist/ (README: "Using the components in another program")
	$(UV) build --wheel --out-dir dist

benchmark: setup ## evaluation time per stack under the mock engine, and the memory limits per service
	$(UV) run --frozen python benchmarks/evaluate.py
	$(UV) run --frozen python benchmarks/memory.py

# Day-to-day commands of the dev stack (the seed's make targets). Addresses and credentials come
# from the stack's outputs, never from ports written here.
OUTPUT = $(UV) run --frozen python -m scripts.outputs --stack $(STACK)
DEV_FILTER := --filter label=dev.dictamesh.stack=dev
SERVICES_FILTER := $(DEV_FILTER) --filter label=dev.dictamesh.kind=service
DEV := docker exec -it dictamesh-dev

dev-up: ## start the stopped dev containers again with their data, or `make up` when there are none
	@stopped=$$(docker ps --all --quiet $(SERVICES_FILTER) --filter status=exited); \
	if [ -n "$$stopped" ]; then docker start $$stopped >/dev/null && echo "dev-up: started $$(echo $$stopped | wc -w) containers"; \
	elif [ -z "$$(docker ps --all --quiet $(DEV_FILTER))" ]; then $(MAKE) --no-print-directory up STACK=dev; \
	else echo "dev-up: every dev container is already running"; fi

dev-down: ## stop the dev containers; volumes and data are kept (make dev-up starts them again)
	@running=$$(docker ps --quiet $(DEV_FILTER)); \
	if [ -n "$$running" ]; then docker stop $$running >/dev/null && echo "dev-down: stopped $$(echo $$running | wc -w) containers, data kept"; \
	else echo "dev-down: nothing is running"; fi

# the stack keeps its volumes through every change and `destroy` (retain_on_delete): these remove them
DEV_VOLUMES = docker volume ls --quiet --filter name=dictamesh-dev-

dev-reset: ## destroy the dev stack with its volumes, then bring it up empty
	$(MAKE) --no-print-directory destroy STACK=dev
	@volumes=$$($(DEV_VOLUMES)); [ -z "$$volumes" ] || docker volume rm $$volumes >/dev/null
	$(MAKE) --no-print-directory up STACK=dev

dev-logs: ## follow every dev container's log, each line prefixed with its container
	@for name in $$(docker ps --format '{{.Names}}' $(DEV_FILTER)); do \
		docker logs --follow --tail 20 "$$name" 2>&1 | sed -u "s/^/$$name | /" & \
	done; wait

restart: ## restart one dev container: make restart SERVICE=redpanda-0
	@test -n "$(SERVICE)" || { echo "restart: name the service, e.g. make restart SERVICE=postgres" >&2; exit 1; }
	docker restart dictamesh-dev-$(SERVICE)

clean: ## remove the dev stack's resources, volumes and local state (asks first; YES=1 does not)
	@[ "$(YES)" = 1 ] || { read -r -p "Remove the dev stack, its volumes and its local state? [y/N] " answer && [ "$$answer" = y ]; } \
		|| { echo "clean: nothing removed"; exit 1; }
	$(PULUMI) destroy --stack dev --yes
	@volumes=$$($(DEV_VOLUMES)); [ -z "$$volumes" ] || docker volume rm $$volumes >/dev/null
	$(PULUMI) stack rm dev --yes --preserve-config
	rm -f .pulumi-state/.stack-dev
	@echo "clean: the dev stack, its volumes and its state are gone; Pulumi.dev.yaml is kept"

status: ## containers of the dev stack
	docker ps --all $(DEV_FILTER) --format 'table {{.Names}}\t{{.Status}}\t{{.Ports}}'

health: setup ## check every service of STACK with its own protocol (JSON=1 for JSON)
	@$(UV) run --frozen python -m scripts.health --stack $(STACK) $(if $(JSON),--json)

local-cluster: setup ## a control plane on 127.0.0.1 with fake nodes, for trying staging and prod (needs make test-deps)
	@$(UV) run --frozen python -m scripts.local_cluster

logs: ## follow one dev container's log: make logs SERVICE=postgres
	docker logs --follow dictamesh-dev-$(or $(SERVICE),postgres)

postgres-cli: ## psql on the catalog as the application user (the stack's DSN)
	$(DEV)-postgres psql "$$($(OUTPUT) catalogDsn)"

redis-cli: ## redis-cli as the application user (the stack's URL)
	$(DEV)-redis redis-cli --no-auth-warning -u "$$($(OUTPUT) cacheUrl)"

kafka-topics: ## list topics
	$(DEV)-redpanda-0 rpk topic list -X brokers="$$($(OUTPUT) eventBus.bootstrapServers)"

kafka-create-topic: ## make kafka-create-topic TOPIC=name [PARTITIONS=3] (prefer declaring topics in the stack file)
	@test -n "$(TOPIC)" || { echo "kafka-create-topic: TOPIC=name is required" >&2; exit 1; }
	$(DEV)-redpanda-0 rpk topic create $(TOPIC) --partitions $(or $(PARTITIONS),3) -X brokers="$$($(OUTPUT) eventBus.bootstrapServers)"

kafka-consume: ## make kafka-consume TOPIC=name
	@test -n "$(TOPIC)" || { echo "kafka-consume: TOPIC=name is required" >&2; exit 1; }
	$(DEV)-redpanda-0 rpk topic consume $(TOPIC) -X brokers="$$($(OUTPUT) eventBus.bootstrapServers)"

# Prints a UI's URL from the outputs and opens it where a desktop opener exists.
define open-ui
	@url=$$($(OUTPUT) $(1)) && echo "$(2): $$url" && \
	if command -v xdg-open >/dev/null; then xdg-open "$$url" >/dev/null 2>&1 || true; \
	elif command -v open >/dev/null; then open "$$url" || true; fi
endef

console-ui: ## open the Redpanda Console
	$(call open-ui,eventBus.consoleUrl,Redpanda Console)

grafana-ui: ## open Grafana (user admin; make outputs SECRETS=1 shows grafanaAdminPassword)
	$(call open-ui,observability.grafanaUrl,Grafana)

prometheus-ui: ## open Prometheus
	$(call open-ui,observability.prometheusUrl,Prometheus)

jaeger-ui: ## open the Jaeger UI
	$(call open-ui,observability.jaegerUrl,Jaeger)

sentry-ui: ## open Sentry
	$(call open-ui,sentry.url,Sentry)

catalog-dump: ## pg_dump the dev catalog into backups/
	@mkdir -p backups
	@database=$$($(OUTPUT) catalog.database) && \
	docker exec dictamesh-dev-postgres pg_dump -U postgres --format=custom "$$database" \
		> "backups/$$database-$$(date -u +%Y%m%dT%H%M%SZ).dump"
	@ls -l backups | tail -n 1

sentry-cleanup: ## delete dev Sentry's events older than sentry.eventRetentionDays (clusters run it nightly)
	docker exec dictamesh-dev-sentry-web sh -c 'exec sentry cleanup --days "$$SENTRY_EVENT_RETENTION_DAYS"'

catalog-restore: ## make catalog-restore FILE=backups/x.dump: replace the dev catalog's contents, then grant the stack's roles
	@test -f "$(FILE)" || { echo "FILE=backups/<dump> is required"; exit 1; }
	@database=$$($(OUTPUT) catalog.database) && \
	docker exec -i dictamesh-dev-postgres pg_restore -U postgres -d "$$database" --no-owner --no-privileges \
		--clean --if-exists --single-transaction --exit-on-error < $(FILE)
	docker start --attach dictamesh-dev-postgres-converge  # the stack's roles and privileges, on the restored data
