# Every install the project needs lives here: a fresh machine needs only Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean debs

# Debian packages the tests run for real (chromium renders the post-mortem page; prometheus and
# prometheus-alertmanager are the real alerting backend of the differential test). `make test`
# installs what is missing with apt-get; without root, install them yourself or run
# `make test DEBS=` to skip the tests that need them.
DEBS ?= chromium prometheus prometheus-alertmanager

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m harness run scenarios/seed-incident.yaml

test: $(STAMP) debs
	HARNESS_REQUIRE_CHROMIUM=$(if $(filter chromium,$(DEBS)),1,) \
	HARNESS_REQUIRE_PROMETHEUS=$(if $(filter prometheus,$(DEBS)),1,) \
		$(BIN)/python -m pytest -q

# The fast tier: every in-process test (no child process, no Debian package), under a minute.
# A test there that starts a process fails, saying to mark it `slow` (tests/conftest.py).
test-fast: $(STAMP)
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

lint: $(STAMP)
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
