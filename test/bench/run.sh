#!/usr/bin/env bash
# make bench: tsrun beside runc and crun (see test/bench/README.md). Writes test/bench/results.md
# and test/bench/chart.svg and refreshes the table in README.md.
#
# Settings: BENCH_RUNS (rounds, default 10), BENCH_PARALLEL (50), BENCH_PARALLEL_RUNS (3),
# BENCH_ENGINES (auto), BENCH_OPS (all), BENCH_OUT, BENCH_README=0, BENCH_IMAGE_RUNS (3),
# BENCH_IMAGE_FILES (5000); see bench.ts.
#
# Everything the run makes lives under one temp dir and one cgroup named after this shell's pid;
# the trap removes all of it (containers, containerd and its shims, cgroups) on any exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ "$(id -u)" = 0 ] || { echo "bench: needs root (containers, cgroups, namespaces)" >&2; exit 1; }
[ -f dist/test/bench/bench.js ] || { echo "bench: dist/test/bench/bench.js missing: run make" >&2; exit 1; }

BENCH_TMP=$(mktemp -d /tmp/tsrun-bench.XXXXXX)
BENCH_ID=tsb$$
export BENCH_TMP BENCH_ID

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	# bench.js cleans up after itself; this catches what a killed harness left.
	node dist/test/bench/bench.js cleanup || true
	rm -rf --one-file-system -- "$BENCH_TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The harness runs the engines without NODE_EXTRA_CA_CERTS itself (and reports node's start-up
# with it, when it is set here, for comparison).
# Bun beside Node (the npm package carries the binary); a failed fetch only drops its column.
bash scripts/engine.sh bun --print >/dev/null 2>&1 || echo "bench: bun could not be installed: no bun column" >&2
node dist/test/bench/bench.js
