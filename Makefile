# Every install the project needs lives here: a fresh machine needs only Python >= 3.11 and make.
# PYTHON: the newest python3.N >= 3.11 on PATH (then python3 if it is >= 3.11); PYTHON=... overrides.
ifeq ($(origin PYTHON),undefined)
# Each candidate is run (a pyenv shim can exist for a version that is not selected).
PYTHON := $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
		&& command -v $$p && break; done)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV := $(VENV)/.installed-dev

.PHONY: demo test test-fast lint bench clean debs

# Debian packages the tests run for real (chromium renders the post-mortem page; prometheus and
# prometheus-alertmanager are the real alerting backend of the differential test). `make test`
# installs what is missing with apt-get; without root, install them yourself or run
# `make test DEBS=` to skip the tests that need them.
DEBS ?= chromium prometheus prometheus-alertmanager

# The runtime install (what `make demo` needs); the dev extras (pytest, ruff, mypy, Playwright)
# come on top for test, lint and bench only.
$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: no Python >= 3.11 found: install python3.11 or newer," \
		"or give one: make PYTHON=/path/to/python3.12"; exit 1; }
	@test -x $(BIN)/python || { echo "make: creating $(VENV) with $(PYTHON)" \
		"($$($(PYTHON) --version))"; $(PYTHON) -m venv $(VENV); }
	@echo "make: installing the harness and its runtime dependencies into $(VENV) (about 30 s)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV): $(STAMP)
	@echo "make: installing the dev tools into $(VENV): pytest, respx, ruff, mypy, Playwright"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV)

demo: $(STAMP)
	$(BIN)/python -m harness run scenarios/seed-incident.yaml
	@echo "make: next: source $(VENV)/bin/activate, then: harness demo, or harness run throttle"

test: $(DEV) debs
	HARNESS_REQUIRE_CHROMIUM=$(if $(filter chromium,$(DEBS)),1,) \
	HARNESS_REQUIRE_PROMETHEUS=$(if $(filter prometheus,$(DEBS)),1,) \
		$(BIN)/python -m pytest -q

# The fast tier: every in-process test (no child process, no Debian package), under a minute.
# A test there that starts a process fails, saying to mark it `slow` (tests/conftest.py).
test-fast: $(DEV)
	HARNESS_TEST_TIER=fast $(BIN)/python -m pytest -q -m "not slow"

debs:
	@missing=""; for deb in $(DEBS); do \
		dpkg -s $$deb >/dev/null 2>&1 || missing="$$missing $$deb"; done; \
	if [ -n "$$missing" ]; then \
		echo "make: installing Debian packages:$$missing"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
			>/dev/null; } || { echo "make: could not install$$missing: run as root," \
			"or install them yourself, or skip their tests with: make test DEBS="; exit 1; }; \
	fi

lint: $(DEV)
	$(BIN)/ruff check harness tests
	$(BIN)/ruff format --check harness tests
	$(BIN)/mypy harness

# wrk loads the factory rows (a C load generator leaves the 2 cores to the server measured);
# without it (not root, no apt) the bench falls back to its aiohttp load generator and says so.
bench: $(STAMP)
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } \
		|| echo "make bench: could not install wrk; factory rows use the aiohttp generator"
	$(BIN)/python -m harness.bench

clean:
	rm -rf $(VENV) build *.egg-info
