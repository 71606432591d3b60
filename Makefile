# Shield: one entry point for the things people do with this repository.
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help bootstrap up down test test-fast lint typecheck bench clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

bootstrap: ## Install system packages and the virtualenv (idempotent, cached)
	@scripts/bootstrap.sh

up: bootstrap ## Start Redis, shield-api and a worker locally, and print the endpoints
	@scripts/local-up.sh

down: ## Stop what `make up` started
	@scripts/local-down.sh

lint: bootstrap ## ruff (lint and format check)
	$(BIN)/ruff check --no-cache src tests bench
	$(BIN)/ruff format --no-cache --check src tests bench

typecheck: bootstrap ## mypy --strict on src/
	$(BIN)/mypy

test: bootstrap lint typecheck ## Everything CI runs: lint, type check and all tests
	$(BIN)/pytest || [ $$? -eq 5 ]  # 5: no tests collected is not a failure

test-fast: bootstrap ## The quick loop: unit and contract tests, no end-to-end
	$(BIN)/pytest -m "not slow" -x -q

bench: bootstrap ## Run the benchmarks and print their figures
	@scripts/bootstrap.sh --bench
	$(BIN)/python -m bench.vectorstore
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.documents
	$(BIN)/python -m bench.crawl
	$(BIN)/python -m bench.mcp_tools
	$(BIN)/python -m bench.graph

clean: ## Remove caches (keeps .venv)
	rm -rf .mypy_cache .ruff_cache .pytest_cache
