# The two commands that matter: `make demo` and `make test`. Both set themselves up from nothing.

# The first interpreter that really is Python 3.13 (a pyenv shim without PYENV_VERSION is not).
PYTHON ?= $(shell for p in python3.13 $(HOME)/.pyenv/versions/3.13*/bin/python3.13; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { echo "$$p"; break; }; done)
VENV := .venv
TOOLS := .venv-tools
CHECKOV := .venv-checkov
MUTATE := .venv-mutate
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint unit lint-template mutate service-models clean

demo: $(VENV)/.installed
	$(VENV)/bin/logbaseline demo

test: lint unit lint-template

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

unit: $(VENV)/.installed
	$(VENV)/bin/pytest

# cfn-lint and checkov on both templates, SAM's own lint, and a real build of the layer and functions
# (arm64 wheels, no container). checkov's skips are justified in the templates' Metadata.
lint-template: $(TOOLS)/.installed $(CHECKOV)/.installed $(VENV)/.installed
	$(TOOLS)/bin/cfn-lint template.yaml stacksets/member.yaml stacksets/forwarder.yaml
	$(CHECKOV)/bin/checkov --skip-download --compact --quiet -f template.yaml -f stacksets/member.yaml -f stacksets/forwarder.yaml
	$(TOOLS)/bin/sam validate --lint
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(TOOLS)/bin/sam build

# Mutation testing with Cosmic Ray, on demand (not part of `make test`): every target, or some of them with
# TARGETS="engine/history controls/guardduty_enabled". Results in .mutation/; docs/testing.md reports them.
mutate: $(VENV)/.installed $(MUTATE)/.installed
	nice $(MUTATE)/bin/python -m tests.mutate $(TARGETS)

# The trimmed service models the clients are made from (logbaseline/trimmed_models.py): after code names an
# AWS operation the repository did not call before; tests/test_trimmed_models.py says when.
service-models: $(VENV)/.installed
	$(VENV)/bin/python -m logbaseline.trimmed_models

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "Python 3.13 is required: put python3.13 on PATH or install it with pyenv"; exit 1; }
	rm -rf $(VENV)
	@echo "Installing the dev venv in $(VENV) (once; about a minute)..."
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

$(TOOLS)/.installed: requirements-tools.txt constraints-tools.txt
	@test -n "$(PYTHON)" || { echo "Python 3.13 is required: put python3.13 on PATH or install it with pyenv"; exit 1; }
	rm -rf $(TOOLS)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet -c constraints-tools.txt -r requirements-tools.txt
	touch $@

$(CHECKOV)/.installed: requirements-checkov.txt constraints-checkov.txt
	@test -n "$(PYTHON)" || { echo "Python 3.13 is required: put python3.13 on PATH or install it with pyenv"; exit 1; }
	rm -rf $(CHECKOV)
	$(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/pip install --quiet -c constraints-checkov.txt -r requirements-checkov.txt
	touch $@

$(MUTATE)/.installed: requirements-mutate.txt constraints-mutate.txt
	@test -n "$(PYTHON)" || { echo "Python 3.13 is required: put python3.13 on PATH or install it with pyenv"; exit 1; }
	rm -rf $(MUTATE)
	$(PYTHON) -m venv $(MUTATE)
	$(MUTATE)/bin/pip install --quiet -c constraints-mutate.txt -r requirements-mutate.txt
	touch $@

clean:
	rm -rf $(VENV) $(TOOLS) $(CHECKOV) $(MUTATE) .mutation .aws-sam .pytest_cache
