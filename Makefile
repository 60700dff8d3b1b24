# Recbench — `make demo` and `make test` set up what is missing, build and run.
SWIFT ?= swift
CONFIG ?= release
# BUILD_DIR: the SwiftPM scratch folder (helpers sharing a machine use their own).
BUILD_DIR ?= .build
BIN = $(BUILD_DIR)/$(CONFIG)/recbench
# One configuration for every target: the flags `swift test` needs (@testable imports) are used by `make build`
# and `make demo` too, so `make demo` then `make test` (or `make regression`) never compiles the sources twice.
BUILD_FLAGS = -c $(CONFIG) --scratch-path $(BUILD_DIR) -Xswiftc -enable-testing
APT_PACKAGES = libopenblas-dev libgsl-dev zlib1g-dev pkg-config curl zip unzip
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# CI and local runs find MovieLens beside the clone when it is there (never committed).
export RECBENCH_DATA_DIR ?= $(shell [ -d ../shared/datasets ] && cd ../shared/datasets && pwd)

# `make install`: the binary to $(PREFIX)/bin, the data-set registry to $(PREFIX)/share/recbench/datasets.
PREFIX ?= $(HOME)/.local

.PHONY: deps build install uninstall demo test lint format regression readme-check test-slurm baselines schema fuzz clean help

help:
	@echo "make demo       install dependencies, build (release), run experiments/quickstart.json"
	@echo "make install    build (release) and install recbench + its data-set registry under PREFIX ($(PREFIX))"
	@echo "make test       install dependencies, build binary + tests once (release), run the suite, then the regression gate"
	@echo "make lint       check the formatting of every Swift file (swift format, .swift-format: 120 columns, 4 spaces)"
	@echo "make format     reformat every Swift file in place"
	@echo "make readme-check run every README command in a scratch copy (scripts/readme-commands.sh; ~1.5 min with MovieLens)"
	@echo "make regression run experiments/ci-regression.json and ci-regression-sequential.json against results/baselines/ (needs MovieLens 100K)"
	@echo "make test-slurm start a one-node Slurm (root; installs slurm-wlm, munge), run a 4-shard array, compare with one process"
	@echo "make baselines  run experiments/ml100k-baselines.json (needs MovieLens 100K)"
	@echo "make schema     regenerate experiments/schema.json and docs/EXPERIMENT-FILE.md"
	@echo "make fuzz       fuzz the experiment-file validator and the data loaders, FUZZ_SECONDS (600) each (not in CI)"

deps:
	@if [ "$$(uname)" = Darwin ]; then \
	  for p in openblas gsl; do brew list $$p >/dev/null 2>&1 || brew install $$p; done; \
	elif ! pkg-config --exists openblas gsl zlib 2>/dev/null || ! command -v unzip >/dev/null || ! command -v zip >/dev/null || ! command -v curl >/dev/null; then \
	  echo "installing $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS) --product recbench

install: build
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/recbench/datasets"
	install -m 755 $(BIN) "$(DESTDIR)$(PREFIX)/bin/recbench"
	install -m 644 datasets/*.json "$(DESTDIR)$(PREFIX)/share/recbench/datasets/"
	@echo "installed $(PREFIX)/bin/recbench; put $(PREFIX)/bin on PATH if \`command -v recbench\` finds nothing"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/recbench"
	rm -rf "$(DESTDIR)$(PREFIX)/share/recbench"

demo: build
	$(BIN) run experiments/quickstart.json

baselines: build
	$(BIN) run experiments/ml100k-baselines.json

# Compiled once: `--build-tests` builds the tests and the binary together (BUILD_FLAGS); the suite runs with
# --skip-build and the regression gate reuses the same binary. (`swift test -c release` after a plain
# `swift build -c release` would compile everything again, with testing enabled.)
test: deps
	@echo "== make test 1/3: building the binary and the tests once ($(CONFIG), $(BUILD_DIR))"
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	@echo "== make test 2/3: running the test suite (no rebuild)"
	RECBENCH_BIN=$(CURDIR)/$(BIN) $(SWIFT) test -c $(CONFIG) --scratch-path $(BUILD_DIR) --skip-build
	@echo "== make test 3/3: quality regression gate with the same binary"
	@$(MAKE) --no-print-directory regression REGRESSION_BUILD=no

# A quality regression (metric drop beyond tolerance and significant) fails the build; exit 2 = data/split mismatch.
# REGRESSION_BUILD=no (from `make test`) uses the binary already built instead of building the product again.
# Each gate is experiments/<name>.json checked against results/baselines/<name>.json; every gate runs, and the
# status is the last failing one's.
REGRESSION_BUILD ?= yes
REGRESSION_GATES = ci-regression ci-regression-sequential
regression:
	@if [ -n "$(RECBENCH_DATA_DIR)" ] && [ -f "$(RECBENCH_DATA_DIR)/ml-100k/u.data" ]; then \
	  if [ "$(REGRESSION_BUILD)" != no ]; then \
	    echo "building $(BIN)"; \
	    $(SWIFT) build $(BUILD_FLAGS) --product recbench >/dev/null || exit 1; \
	  fi; \
	  status=0; \
	  for gate in $(REGRESSION_GATES); do \
	    echo "running experiments/$$gate.json, checking it against results/baselines/$$gate.json"; \
	    out=$$(mktemp -d) && \
	    $(BIN) run experiments/$$gate.json --output $$out --quiet --no-cache && \
	    $(BIN) check $$out/$$gate/latest --baseline results/baselines/$$gate.json; \
	    s=$$?; rm -rf "$$out"; [ $$s -eq 0 ] || status=$$s; \
	  done; \
	  exit $$status; \
	else \
	  echo "skipped: MovieLens 100K not found (set RECBENCH_DATA_DIR to the folder holding ml-100k/)"; \
	fi

# Every shell command of README.md, as written, in a scratch copy; uses the binary `make test` or `make build` left.
readme-check: deps
	@[ -x $(BIN) ] || $(MAKE) --no-print-directory build
	RECBENCH_BIN=$(CURDIR)/$(BIN) scripts/readme-commands.sh

test-slurm: build
	RECBENCH_BIN=$(CURDIR)/$(BIN) scripts/slurm/test-slurm.sh

schema: build
	$(BIN) schema > experiments/schema.json
	$(BIN) schema --markdown > docs/EXPERIMENT-FILE.md

# Seeded mutation fuzzing; inputs that trap or hang are saved under fuzz-crashes/<target>/.
FUZZ_SECONDS ?= 600
fuzz: deps
	$(SWIFT) build $(BUILD_FLAGS) --product recbench-fuzz
	$(BUILD_DIR)/$(CONFIG)/recbench-fuzz experiment --seconds $(FUZZ_SECONDS); a=$$?; \
	$(BUILD_DIR)/$(CONFIG)/recbench-fuzz data --seconds $(FUZZ_SECONDS); b=$$?; \
	exit $$(( a || b ))

clean:
	rm -rf $(BUILD_DIR)

# Formatting: `swift format` ships with the toolchain; the rules are in .swift-format.
SWIFT_FILES = Sources Tests Plugins Package.swift Benchmarks
lint:
	$(SWIFT) format lint --strict --recursive --parallel $(SWIFT_FILES)

format:
	$(SWIFT) format format --in-place --recursive --parallel $(SWIFT_FILES)

