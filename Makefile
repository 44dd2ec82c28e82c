# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
LIB    := django_bolt/libbolt.so
GO_SRC := $(shell find libbolt -name '*.go' 2>/dev/null) go.mod go.sum
HOST   ?= 127.0.0.1
PORT   ?= 8000

# staticcheck, pinned; installed once into .bin/ by `make lint` (v0.8.x supports Go 1.26).
# The binary's name carries the version, so changing the pin installs the new one.
STATICCHECK_VERSION := v0.8.2
BIN         := $(CURDIR)/.bin
STATICCHECK := $(BIN)/staticcheck-$(STATICCHECK_VERSION)

# `make` alone lists the targets: every target with a `## ` comment on its line.
.DEFAULT_GOAL := help
help:  ## list the targets
	@awk -F':.*## ' '/^[a-z][a-z-]*:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: help run test test-go test-py test-py313 test-browser docs-assets lint fmt fuzz fuzz-all build wheel bench clean settings-table

## Set-up ---------------------------------------------------------------------------------

$(VENV)/.installed: requirements/dev.txt pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q -r requirements/dev.txt
	$(VPY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

# The library is built by setup.py's build_ext (the only place that knows the go flags).
$(LIB): $(VENV)/.installed $(GO_SRC) docs-assets/package.json
	$(VPY) setup.py -q build_ext --inplace
	touch $@

build: $(LIB)  ## create .venv and build django_bolt/libbolt.so

## Run ------------------------------------------------------------------------------------

# Development mode: --dev (autoreload, readable logs, one worker, tracebacks in 500 bodies)
# and the example's DEBUG on. Production-style serving is `runbolt` without --dev (README).
run: build  ## development server: migrate, then serve examples/ with runbolt --dev on HOST:PORT
	cd examples && ../$(VPY) manage.py migrate --noinput
	@echo "make run: DEVELOPMENT mode (runbolt --dev: autoreload, one worker, readable logs, DEBUG on);"
	@echo "          not for production, see README 'Serving in production'. HOST=$(HOST) PORT=$(PORT)"
	cd examples && DJANGO_DEBUG=1 ../$(VPY) manage.py runbolt --dev --host $(HOST) --port $(PORT)

## Test -----------------------------------------------------------------------------------

test: lint test-go test-py test-browser test-py313  ## everything: lint and every test suite

test-go:  ## Go tests (race detector, shuffled order)
	go vet ./...
	tests/redis/run.sh go test -race -count=1 -shuffle=on ./...
	BOLT_TEST_FRONT_END=loop go test -race -count=1 -shuffle=on ./libbolt/server/  # the same suite, loop front end

# tests/pg/run.sh: a throwaway PostgreSQL (DATABASE_URL) for the database tests, when it can;
# tests/redis/run.sh: a throwaway Redis (REDIS_URL) for the shared-state tests; tests/nginx/run.sh:
# Debian's nginx (BOLT_NGINX) for deploy/nginx (both required with CI=true).
test-py: build  ## Python tests (with a throwaway PostgreSQL when it can)
	tests/pg/run.sh tests/redis/run.sh tests/nginx/run.sh $(VPY) -m pytest

# The top of the declared support range: the Python suite once more on Python 3.13 with
# Django 6.0, in a second venv (.venv313, requirements/py313-django60.txt) that runs the
# checkout's django_bolt and libbolt.so through PYTHONPATH. Python 3.13 is pyenv's
# (~/.pyenv/versions/3.13*/bin/python3.13, newest first), else the first python3.13 on PATH
# that runs (a pyenv shim for a version not selected does not); PY313=... overrides.
# The wheel test is left to the main run (it needs the packaging tools).
PY313 ?= $(shell for p in $$(ls -d $(HOME)/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | sort -V -r) python3.13; do \
	$$p -c 'import sys; print(sys.executable)' 2>/dev/null && break; done)
VENV313 := .venv313
$(VENV313)/.installed: requirements/py313-django60.txt
	@test -n "$(PY313)" || { echo "make test-py313 needs Python 3.13: python3.13 on PATH or ~/.pyenv/versions/3.13*"; exit 1; }
	$(PY313) -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install -q -r requirements/py313-django60.txt
	touch $@

test-py313: build $(VENV313)/.installed  ## Python tests on Python 3.13 + Django 6.0 (second venv)
	@$(VENV313)/bin/python -c 'import sys, django; print("test-py313: Python", sys.version.split()[0], "Django", django.get_version())'
	PYTHONPATH=$(CURDIR) tests/pg/run.sh tests/redis/run.sh tests/nginx/run.sh $(VENV313)/bin/python -m pytest -p no:cacheprovider tests/py \
		--deselect tests/py/e2e/test_wheel.py::test_wheel_installs_and_serves_without_go

# The docs UIs' bundles from npm (ignored, never committed); setup.py copies the files that
# docs-assets/package.json lists into the package (`make build` and `make wheel` do it).
# Only the prebuilt browser bundles are served, so the packages come without their
# dependencies (npm pack: 78 MB instead of 375 MB of npm ci).
DOCS_ASSETS := docs-assets/node_modules/.fetched
$(DOCS_ASSETS): docs-assets/package.json docs-assets/fetch.sh
	docs-assets/fetch.sh
docs-assets: $(DOCS_ASSETS)  ## fetch the docs UIs' bundles from npm

# The docs UIs in headless Debian chromium with no network (playwright-core from npm) against a
# real runbolt with default settings: the assets come from the package (setup.py installs them).
test-browser: build  ## Swagger UI, ReDoc and Scalar in headless chromium, offline
	test -x /usr/bin/chromium || apt-get -o DPkg::Lock::Timeout=900 install -y chromium || \
		{ echo "make test-browser needs Debian's chromium: run apt-get install chromium as root"; exit 1; }
	cd tests/browser && npm ci --ignore-scripts
	$(VPY) -m pytest -p no:cacheprovider tests/browser

$(STATICCHECK):
	GOBIN=$(BIN) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(BIN)/staticcheck $@

lint: $(VENV)/.installed $(STATICCHECK)  ## gofmt, go vet, staticcheck, ruff, mypy
	test -z "$$(gofmt -l libbolt bench)"
	go vet ./...
	$(STATICCHECK) ./...
	$(VPY) -m ruff check django_bolt tests examples bench tools
	$(VPY) -m ruff format --check django_bolt tests examples bench tools
	$(VPY) -m mypy

fmt: $(VENV)/.installed  ## format Go and Python sources
	gofmt -w libbolt bench
	$(VPY) -m ruff format django_bolt tests examples bench tools
	$(VPY) -m ruff check --fix django_bolt tests examples bench tools

## Package and measure --------------------------------------------------------------------

# A manylinux wheel: pip builds the platform wheel (setup.py runs go build -trimpath, stripped),
# auditwheel checks the glibc symbols libbolt.so needs and tags it manylinux_2_X accordingly.
DIST ?= dist
wheel: $(VENV)/.installed  ## build a manylinux wheel into DIST
	rm -rf build/lib* build/wheel-raw
	$(VPY) -m pip wheel --no-deps --no-build-isolation -q -w build/wheel-raw .
	PATH="$(dir $(abspath $(VPY))):$$PATH" $(VPY) -m auditwheel repair --wheel-dir $(DIST) build/wheel-raw/*.whl

# Every Fuzz target for FUZZTIME each (`go test` alone only replays the seeds).
FUZZTIME ?= 60s
fuzz:  ## run every Go fuzz target for FUZZTIME
	for pkg in $$(go list ./libbolt/...); do \
		for t in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			go test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# Nightly-style, bounded: every Go fuzz target for FUZZ_ALL_TIME each, then the Python
# property tests (tests/py/unit/test_properties.py) with the nightly hypothesis profile.
# Not part of `make test`.
FUZZ_ALL_TIME ?= 30s
fuzz-all: build  ## nightly: every Go fuzz target (FUZZ_ALL_TIME each) and the hypothesis tests
	FUZZ_ALL_TIME=$(FUZZ_ALL_TIME) VPY=$(VPY) tests/fuzz/run_all.sh

settings-table: $(VENV)/.installed  ## regenerate README.md's settings table from django_bolt/conf.py
	$(VPY) tools/settings_table.py --write

bench: build  ## run bench/run.py and rewrite bench/RESULTS.md
	$(PYTHON) bench/run.py --write-results

# The CI perf gate: ours against the ceiling, a few seconds per path; fails only when a CPU
# ratio stays under its floor after one rerun; appends to bench/history.jsonl (bench/README.md).
.PHONY: bench-gate
bench-gate: build  ## short perf run against the ceiling, fails below the floors
	$(PYTHON) bench/gate.py

clean:  ## remove build outputs
	rm -rf build dist *.egg-info $(LIB) django_bolt/libbolt.h test-output django_bolt/openapi/static
