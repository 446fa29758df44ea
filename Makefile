# The two commands a newcomer runs on a fresh machine: `make chaos-test` (every stack x
# the guarantees' scenarios, ci profile, then the report) and `make test`. Every target
# installs what it needs itself.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# chaos-test: SCENARIOS is the part of the catalogue it runs, on every stack: by default the
# baseline and the four failures of the seeds' guarantees table (a browser refresh, a
# backend crash, a worker crash, a power cut), under 15 minutes on 2 cores (README);
# SCENARIOS=all is the whole catalogue (about 45 minutes), SCENARIOS=a,b a list of names.
# RUNTIME=auto (Docker when an engine answers or can be started, else local processes),
# docker or local; OUT is the run directory (an existing one is resumed);
# BASELINE=reports/baseline.json makes the report fail on a regression (CI). The report
# always writes $(OUT)/junit.xml and $(OUT)/summary.md: what the CI definitions publish
# (.github/workflows/chaos-test.yml, .gitlab-ci.yml).
GUARANTEE_SCENARIOS := baseline,f5-refresh,backend-kill,worker-kill,host-kill
SCENARIOS ?= $(GUARANTEE_SCENARIOS)
RUNTIME ?= auto
BASELINE ?=
ifeq ($(origin OUT), undefined)
OUT     := runs/chaos-test-$(shell date +%Y%m%d-%H%M%S)
endif

.PHONY: setup test chaos-test seed-test report notebooks images benchmarks clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,report]'
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest

chaos-test: setup
	@if [ "$(RUNTIME)" != local ]; then bash .ci/ensure-docker || [ "$(RUNTIME)" = auto ]; fi
	$(BIN)/llmchaos run --stack all --scenario $(SCENARIOS) --profile ci --runtime $(RUNTIME) --out $(OUT) || status=$$?; \
	$(BIN)/llmchaos report $(OUT) $(if $(BASELINE),--baseline $(BASELINE)) --junit $(OUT)/junit.xml || status=$$?; \
	echo "chaos-test: open $(OUT)/report.html (CI: $(OUT)/summary.md, $(OUT)/junit.xml); resume with: make chaos-test $(if $(filter-out $(GUARANTEE_SCENARIOS),$(SCENARIOS)),SCENARIOS=$(SCENARIOS) )OUT=$(OUT)"; exit $${status:-0}

# seed-test: the seeds' own narratives (chaos/scenarios/*.yaml, each citing its section) on
# the seeds' time scale (profile seed: ~100 chunks of 50 characters generated in 5 minutes),
# every stack, SEED_PARALLEL cells at once; the matrix of a complete run is copied to
# reports/seed-matrix.* (committed: the README's seed figures come from it).
SEED_SCENARIOS := baseline,f5-refresh,f5-reattach,backend-kill,worker-stop-chunk-47,worker-kill-after-generation,host-kill
SEED_PARALLEL ?= 5
ifeq ($(origin SEED_OUT), undefined)
SEED_OUT := runs/seed-test-$(shell date +%Y%m%d-%H%M%S)
endif

seed-test: setup
	@if [ "$(RUNTIME)" != local ]; then bash .ci/ensure-docker || [ "$(RUNTIME)" = auto ]; fi
	$(BIN)/llmchaos run --stack all --scenario $(SEED_SCENARIOS) --profile seed --runtime $(RUNTIME) --parallel $(SEED_PARALLEL) --out $(SEED_OUT) || status=$$?; \
	$(BIN)/llmchaos report $(SEED_OUT) || status=$$?; \
	if [ -z "$$status" ]; then cp $(SEED_OUT)/matrix.json reports/seed-matrix.json && cp $(SEED_OUT)/matrix.md reports/seed-matrix.md; \
	else echo "seed-test: the run did not complete; reports/seed-matrix.* left as they were"; fi; \
	echo "seed-test: open $(SEED_OUT)/report.html; resume with: make seed-test SEED_OUT=$(SEED_OUT)"; exit $${status:-0}

# The report and the review notebooks of a run directory: RUN=runs/<id> (default: the newest).
RUN ?= $(lastword $(sort $(dir $(wildcard runs/*/run.json))))

report: setup
	@test -n "$(RUN)" || { echo "no run directory: make chaos-test first, or give RUN=runs/<id>"; exit 2; }
	$(BIN)/llmchaos report $(RUN)

notebooks: setup
	@test -n "$(RUN)" || { echo "no run directory: make chaos-test first, or give RUN=runs/<id>"; exit 2; }
	@for nb in comparison_matrix recovery cost; do \
	  LLMCHAOS_RUN=$(abspath $(RUN)) $(BIN)/jupyter nbconvert --to html --execute notebooks/$$nb.ipynb \
	    --output-dir $(abspath $(RUN))/notebooks --log-level WARN || exit 1; \
	done; echo "notebooks: $(abspath $(RUN))/notebooks/*.html"

# Every stack image, built without a registry if need be (needs a Docker engine; see README).
images: setup
	$(BIN)/llmchaos images

benchmarks: setup
	$(BIN)/python benchmarks/fake_llm.py
	$(BIN)/python benchmarks/runtime.py
	$(BIN)/python benchmarks/loadgen.py
	$(BIN)/python benchmarks/deployments.py
	$(BIN)/python benchmarks/lazyfs_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
