# The two commands a newcomer runs on a fresh machine: `make chaos-test` (not built yet,
# see README) and `make test`. Every target installs what it needs itself.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup test images benchmarks clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest

# Every stack image, built without a registry if need be (needs a Docker engine; see README).
images: setup
	$(BIN)/llmchaos images

benchmarks: setup
	$(BIN)/python benchmarks/fake_llm.py
	$(BIN)/python benchmarks/runtime.py
	$(BIN)/python benchmarks/loadgen.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
