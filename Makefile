# tsrun build. `make` builds everything a container needs; `make test` runs every suite.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json
EXECUTOR := build/tsrun-executor
CONSOLE := build/tsrun-console
LAUNCHER := bin/tsrun
ADDON := build/tsrun-sys.node
PAUSE := build/tsrun-pause
CC ?= gcc
EXEC_CFLAGS := -O2 -g0 -Wall -Wextra -Werror=implicit-function-declaration -std=gnu11 -static -D_GNU_SOURCE
EXEC_SRCS := $(wildcard native/executor/*.c)
EXEC_HDRS := $(wildcard native/executor/*.h)
TS_SRCS := $(shell find src test conformance scripts -name '*.ts' 2>/dev/null)
BUSYBOX := /bin/busybox
ROOTFS := build/rootfs-busybox/.done

ENGINE ?= bun

.PHONY: FORCE all deps ts proto executor addon launcher pause rootfs bundles engine test test-unit test-integration test-conformance test-runtime-tools test-cri test-vm bench clean

all: deps ts executor addon launcher bundles engine pause

# The engine bin/tsrun runs on: bun (the default: the fastest, docs/engines.md says why), or
# `make ENGINE=node` (the system's Node 20) or `make ENGINE=node22`.
engine:
	bash scripts/engine.sh $(ENGINE)

# System packages the build and the integration tests need (Debian, as root). Skipped when present.
deps:
	@bash scripts/install-deps.sh

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The commit the bundles stamp (scripts/commit.sh), rewritten only when it changes: a commit
# rebuilds them, so `tsrun --version` never names an older one.
COMMIT_STAMP := build/commit
$(COMMIT_STAMP): FORCE
	@mkdir -p build; c=$$(bash scripts/commit.sh); [ "$$(cat $@ 2>/dev/null)" = "$$c" ] || echo "$$c" > $@
FORCE:

ts: dist/.built
dist/.built: $(NODE_MODULES) $(TS_SRCS) tsconfig.json $(wildcard schemas/*.json) scripts/bundle.mjs scripts/commit.sh $(COMMIT_STAMP)
	npx tsc -p tsconfig.json
	node scripts/bundle.mjs
	@touch $@

# native/executor/proto.h is committed, generated from src/executor/protocol.ts: run this after
# changing the protocol (a unit test fails until then).
proto: ts
	node dist/scripts/gen-proto-h.js native/executor/proto.h

executor: $(EXECUTOR) $(CONSOLE)
$(EXECUTOR): $(EXEC_SRCS) $(EXEC_HDRS)
	@mkdir -p build
	$(CC) $(EXEC_CFLAGS) -o $@ $(EXEC_SRCS)

# The host side of a foreground terminal (run/exec -t): receives the pty master, proxies stdio.
$(CONSOLE): native/console/proxy.c
	@mkdir -p build
	$(CC) $(EXEC_CFLAGS) -o $@ $<

# The process calls of create/run/exec/kill on Node (native/addon/tsrun-sys.c says why): a shared
# object Node loads, so neither static nor linked against Node (its Node-API symbols are Node's).
addon: $(ADDON)
$(ADDON): native/addon/tsrun-sys.c
	@mkdir -p build
	$(CC) $(filter-out -static,$(EXEC_CFLAGS)) -shared -fPIC -fvisibility=hidden -o $@ $<

# bin/tsrun, what managers run: finds the install from its own path and execs the engine build/engine
# names on tsrun's entry point (native/launcher/tsrun.c says how). C, not a shell script: a shell
# would start on every manager call.
launcher: $(LAUNCHER)
$(LAUNCHER): native/launcher/tsrun.c
	@mkdir -p bin
	$(CC) $(EXEC_CFLAGS) -o $@ $<

# The pod sandbox binary of the CRI tests' pause image (test/cri/pause.c).
pause: $(PAUSE)
$(PAUSE): test/cri/pause.c
	@mkdir -p build
	$(CC) $(EXEC_CFLAGS) -o $@ $<

# A busybox rootfs built from Debian's busybox-static: the static binary plus its applet links.
rootfs: $(ROOTFS)
$(ROOTFS): scripts/make-rootfs.sh
	bash scripts/make-rootfs.sh build/rootfs-busybox
	@touch $@

bundles: $(ROOTFS)
	bash scripts/link-bundles.sh build/rootfs-busybox

test: all
	bash scripts/test-all.sh

test-unit: ts launcher addon
	bash scripts/test-all.sh unit

test-integration: all
	bash scripts/test-all.sh integration

test-conformance: all
	bash scripts/test-all.sh conformance

# The OCI runtime-tools validation suite for bin/tsrun, judged against the expected
# failures in conformance/runtime-tools-expected.txt. RUNTIME_TOOLS_COMPARE=runc adds runc's score.
test-runtime-tools: all
	bash scripts/test-all.sh runtime-tools

# Pods through containerd 1.6's CRI plugin, on tsrun and runc side by side (test/cri/).
test-cri: all
	bash scripts/test-all.sh cri

# The suites about cgroups and the real clients inside a test VM (Debian 12, systemd, pure cgroup
# v2 with every controller) that the script builds and boots: docs/vm.md.
test-vm: all
	bash scripts/test-all.sh vm

bench: all
	bash test/bench/run.sh

clean:
	rm -rf dist build $(LAUNCHER)
