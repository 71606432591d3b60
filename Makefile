# Shield: one entry point for the things people do with this repository.
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help bootstrap up down dev-up dev-down test test-fast lint ansible-lint typecheck molecule \
	containers image release \
	molecule-platform molecule-upgrade molecule-prep monitoring monitoring-pictures docs bench load clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

bootstrap: ## Install system packages and the virtualenv (idempotent, cached)
	@scripts/bootstrap.sh

up: ## The whole platform in a local systemd container, by site.yml; prints how to connect
	@scripts/bootstrap.sh --deploy
	@scripts/up.sh

down: ## Remove what `make up` created
	@scripts/down.sh

dev-up: bootstrap ## Run the services from this checkout as plain processes (for development)
	@$(BIN)/python -m support.devstack up

dev-down: ## Stop what `make dev-up` started
	@$(BIN)/python -m support.devstack down

lint: bootstrap ## ruff (lint and format check)
	$(BIN)/ruff check --no-cache src tests support bench roles molecule monitoring
	$(BIN)/ruff format --no-cache --check src tests support bench roles molecule monitoring

ansible-lint: bootstrap ## ansible-lint, production profile, on the roles and playbooks
	@scripts/ansible-collections.sh
	ANSIBLE_CONFIG=ansible.cfg $(BIN)/ansible-lint --offline --profile production \
		roles playbooks site.yml inventories molecule
	ANSIBLE_CONFIG=ansible.cfg $(BIN)/ansible-playbook -i inventories/production --syntax-check site.yml
	ANSIBLE_CONFIG=ansible.cfg $(BIN)/ansible-playbook -i inventories/local --syntax-check site.yml

typecheck: bootstrap ## mypy --strict on src/
	$(BIN)/mypy

molecule: molecule-prep ## Every role's Molecule scenario, and the whole platform's beside them
	@scripts/molecule.sh all

molecule-platform: molecule-prep ## The whole platform by site.yml, one container per group, an MCP client
	@scripts/molecule.sh platform

molecule-upgrade: molecule-prep ## Upgrade from the previous release (its tag) to this checkout, then roll back
	@scripts/molecule.sh upgrade

containers: molecule-prep ## Shield's image and compose.yaml, run with podman-compose (tests/containers)
	@scripts/containers.sh

release: bootstrap ## Cut release VERSION=x.y.z: version, CHANGELOG, dist/ (wheel, wheelhouse, image, SBOM, sums), tag
	@scripts/release.sh "$(VERSION)"

image: bootstrap ## Build Shield's OCI image, localhost/shield:<version> (docs/CONTAINERS.md)
	@scripts/image.sh

molecule-prep: bootstrap  # what every scenario needs: the image, the collections, the wheelhouse
	@scripts/container-image.sh
	@scripts/ansible-collections.sh
	@scripts/wheelhouse.sh
	@scripts/previous-release.sh

test: bootstrap lint ansible-lint typecheck ## Everything CI runs: lint, type check, all tests, Molecule
	@mkdir -p var/coverage
	# Coverage of the whole suite, the services' own processes included (pyproject.toml), in two
	# processes, a test module to each (its live stack stays its own): the tests wait on services
	# and jobs as much as they compute. Molecule's container image is built meanwhile
	# (debootstrap waits on the network and the disk); `make molecule` then finds it.
	# 5: no tests collected is not a failure.
	@scripts/container-image.sh > var/container-image.log 2>&1 & image=$$!; \
	$(BIN)/pytest -n 2 --dist loadfile --cov --cov-report=term; tests=$$?; \
	[ $$tests -eq 5 ] && tests=0; \
	wait $$image || { echo "the container image failed:"; tail -30 var/container-image.log; exit 1; }; \
	exit $$tests
	@$(MAKE) --no-print-directory molecule

test-fast: bootstrap ## The quick loop: unit and contract tests, no end-to-end
	$(BIN)/pytest -m "not slow" -x -q

monitoring: bootstrap ## Write the dashboards, the SLO rules and docs/MONITORING.md from their sources
	$(BIN)/python -m monitoring.generate

docs: bootstrap ## Write docs/API_REFERENCE.md and docs/MCP_TOOLS_REFERENCE.md from the live registries
	$(BIN)/python -m shield.api.reference docs/API_REFERENCE.md
	$(BIN)/python -m shield.mcp.reference docs/MCP_TOOLS_REFERENCE.md

monitoring-pictures: bootstrap ## Draw docs/monitoring/*.png from the live monitoring test's Prometheus
	SHIELD_UPDATE_PICTURES=1 $(BIN)/pytest -q tests/e2e/test_monitoring.py

bench: bootstrap ## Run the benchmarks and print their figures
	@scripts/bootstrap.sh --bench
	$(BIN)/python -m bench.vectorstore
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.indexing
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.fairness
	$(BIN)/python -m bench.documents
	$(BIN)/python -m bench.structure
	$(BIN)/python -m bench.crawl
	$(BIN)/python -m bench.mcp_tools
	$(BIN)/python -m bench.access
	$(BIN)/python -m bench.graph
	$(BIN)/python -m bench.graph_questions
	$(BIN)/python -m bench.sources

load: bootstrap ## Locust at 10 and 100 users, 3 minutes a phase; records bench/results/load.json, draws docs/reliability/
	SHIELD_LOAD_SECONDS=$${SHIELD_LOAD_SECONDS:-180} SHIELD_LOAD_RECORD=1 $(BIN)/pytest -q -s --timeout 3600 tests/load
	$(BIN)/python -m bench.reliability_plots

clean: ## Remove caches (keeps .venv)
	rm -rf .mypy_cache .ruff_cache .pytest_cache
