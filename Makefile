# Every target sets up what it needs: a Python venv with the pinned deps and the pinned CDK CLI.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYNTH_STAMP := $(VENV)/.installed-synth
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
UV_INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python
CDK := PATH="$(CURDIR)/$(BIN):$$PATH" npx --no-install cdk

# Node 20 runs the CDK's jsii kernel; silence its end-of-life banner (see README, "Toolchain").
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := 1

.PHONY: setup setup-synth synth test lint unit fuzz mutation images deploy diff bench docs clean

## setup: everything the tests and tools need; setup-synth: only what synth and deploy need
setup: $(PY_STAMP) $(NODE_STAMP)
setup-synth: $(SYNTH_STAMP) $(NODE_STAMP)

$(SYNTH_STAMP): requirements-bootstrap.txt requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bootstrap.txt
	$(UV_INSTALL) -r requirements.txt
	# aws-cdk-lib and its dependency aws-cdk.cloud-assembly-schema both ship aws_cdk/cloud_assembly_schema, and the
	# CDK needs aws-cdk-lib's copy: pip installs it last, uv in no set order, so it goes in again on its own.
	$(UV_INSTALL) --reinstall-package aws-cdk-lib -r requirements.txt
	# Compiled once, after the reinstall (which drops its .pyc): the tests' ~20 Python processes each import aws-cdk-lib,
	# 4 s uncompiled, 1.8 s compiled.
	$(BIN)/python -m compileall -q -j 0 $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
	touch $@

$(PY_STAMP): $(SYNTH_STAMP) requirements-dev.txt requirements-nag2.txt requirements-images.txt
	# The test tools and cdk-nag 2 stay uncompiled: compiling cost 15 s here, against about 4 s at import in each test
	# worker (the only processes that load them, with one cdk-nag 2 subprocess).
	$(UV_INSTALL) -r requirements-dev.txt
	$(UV_INSTALL) --no-deps --target $(VENV)/cdk-nag-2 -r requirements-nag2.txt
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
		--dest $(VENV)/image-source -r requirements-images.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## synth: the sample app's CloudFormation templates into cdk.out (no AWS account needed)
synth: setup-synth
	$(CDK) synth --quiet
	@echo "Templates: $$(ls cdk.out/*.template.json)"

## test: lint, type-check and every test
test: lint unit

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# One worker per core (at most 4: each holds a jsii kernel); PYTEST_WORKERS=0 runs in one process. loadscope with
# the scope tests/conftest.py gives it: files with module fixtures run whole on one worker, other tests one by one.
PYTEST_WORKERS ?= auto
unit: setup
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadscope

## fuzz: every public constructor and method with thousands of bad arguments (not in CI; FUZZ_EXAMPLES=2000)
fuzz: setup
	$(BIN)/python -m pytest -m fuzz -s -p no:cacheprovider tests/unit/test_public_api_fuzz.py

## mutation: cosmic-ray over the safety-critical modules (not in CI; hours on 2 cores); MODULES=checks for one,
## SAMPLE=120 for that many mutants per module
mutation: setup
	$(BIN)/python benchmarks/mutation.py $(if $(SAMPLE),--sample $(SAMPLE)) $(MODULES)

## images: regenerate owned_images.json with the pinned SageMaker Python SDK (in its own venv; not in CI)
images: setup
	test -x $(VENV)/image-generator/bin/python || $(PYTHON) -m venv $(VENV)/image-generator
	$(BIN)/uv pip install --quiet --python $(VENV)/image-generator/bin/python $(VENV)/image-source/*.whl
	$(VENV)/image-generator/bin/python scripts/generate_owned_images.py constructs/cdk_sagemaker_inference/owned_images.json

## deploy: build the sample image, upload assets and deploy (needs Docker and AWS credentials)
deploy: setup-synth
	$(CDK) deploy --all --require-approval never

diff: setup-synth
	$(CDK) diff --all

## bench: synth time and peak memory, this library vs bare L1 resources
bench: setup
	$(BIN)/python benchmarks/synth_benchmark.py

## docs: regenerate docs/rules.md from the rules in the code and the API reference (docs/api) from the
## docstrings with pdoc, failing on any pdoc warning (tests fail when either differs from what is committed)
docs: setup
	$(BIN)/python -c 'from cdk_sagemaker_inference.rules import markdown; print(markdown(), end="")' > docs/rules.md
	rm -rf docs/api
	$(BIN)/python scripts/build_api_docs.py docs/api

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
