# One entry point for every habit; CI calls the same targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The layer's package is importable as Lambda makes it: from the layer's python/ folder.
RUNPY := PYTHONPATH=layers/shared/python:. $(PY)
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.txt layers/shared/python/requirements.txt | cksum | cut -d' ' -f1)
SAM_VENV := .venv-sam
# checkov pins boto3 and others below requirements-dev.txt's versions: it gets a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(shell cat requirements-checkov.txt | cksum | cut -d' ' -f1)

# The web app (web/): npm installs exactly what its lock file pins; the build goes to web/dist.
WEB_STAMP := web/node_modules/.installed-$(shell cksum < web/package-lock.json | cut -d' ' -f1)
# Browser tests drive Debian's chromium; installed when missing (root, or sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv web chromium test test-web lint format run bench build deploy token events remind reconcile clean

venv: $(STAMP)

$(STAMP): requirements-dev.txt layers/shared/python/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	rm -f $(CHECKOV_VENV)/.installed-*
	touch $@

$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	rm -f web/node_modules/.installed-*
	touch $@

web: $(WEB_STAMP)
	cd web && npm run --silent build

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# The front end's own unit tests (vitest); the browser tests are in tests/browser/, run by pytest.
test-web: web
	cd web && npm test --silent

test: venv test-web chromium
	$(PY) -m pytest -q -n 2 --dist loadgroup

lint: venv $(CHECKOV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml
	# Fails on any finding not fixed or skipped with its reason next to the resource in template.yaml.
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet --skip-download
	@if [ -x $(SAM_VENV)/bin/sam ] || ($(PYTHON) -m venv $(SAM_VENV) && $(SAM_VENV)/bin/pip install --quiet aws-sam-cli); then \
		SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --region us-east-1; \
	else echo "aws-sam-cli could not be installed: skipped sam validate"; fi

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

run: venv web
	$(RUNPY) -m devstack

token: venv
	@$(RUNPY) -m devstack.tokens $(ARGS)

events:
	@curl -s http://127.0.0.1:$${COUPONS_PORT:-3000}/_local/events

remind:
	@curl -s -X POST http://127.0.0.1:$${COUPONS_PORT:-3000}/_local/schedules

reconcile: venv
	$(RUNPY) -m devstack.reconcile $(ARGS)

bench: venv
	$(RUNPY) -m bench

build:
	sam build

# STACK names the stack; the web app is published into its bucket after the stack is deployed.
STACK ?= coupons

deploy: build web
	sam deploy --guided --stack-name $(STACK)
	$(RUNPY) -m deploy.publish_web $(STACK)

clean:
	rm -rf web/node_modules web/dist artifacts $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .pytest_cache .ruff_cache .mypy_cache .hypothesis
