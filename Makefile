# Recbench — `make demo` and `make test` set up what is missing, build and run.
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/recbench
APT_PACKAGES = libopenblas-dev libgsl-dev pkg-config curl zip unzip
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# CI and local runs find MovieLens beside the clone when it is there (never committed).
export RECBENCH_DATA_DIR ?= $(shell [ -d ../shared/datasets ] && cd ../shared/datasets && pwd)

.PHONY: deps build demo test test-slurm baselines schema clean help

help:
	@echo "make demo       install dependencies, build (release), run experiments/quickstart.json"
	@echo "make test       install dependencies and run the whole test suite"
	@echo "make test-slurm start a one-node Slurm (root; installs slurm-wlm, munge), run a 4-shard array, compare with one process"
	@echo "make baselines  run experiments/ml100k-baselines.json (needs MovieLens 100K)"
	@echo "make schema     regenerate experiments/schema.json"

deps:
	@if [ "$$(uname)" = Darwin ]; then \
	  for p in openblas gsl; do brew list $$p >/dev/null 2>&1 || brew install $$p; done; \
	elif ! pkg-config --exists openblas gsl 2>/dev/null || ! command -v unzip >/dev/null || ! command -v zip >/dev/null || ! command -v curl >/dev/null; then \
	  echo "installing $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG) --product recbench

demo: build
	$(BIN) run experiments/quickstart.json

baselines: build
	$(BIN) run experiments/ml100k-baselines.json

test: deps
	$(SWIFT) build -c $(CONFIG) --product recbench
	$(SWIFT) test -c $(CONFIG)

test-slurm: build
	RECBENCH_BIN=$(CURDIR)/$(BIN) scripts/slurm/test-slurm.sh

schema: build
	$(BIN) schema > experiments/schema.json

clean:
	rm -rf .build
