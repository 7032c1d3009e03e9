#!/usr/bin/env bash
# Runs the test suites (all by default, or those named: unit integration conformance
# runtime-tools cri vm). Each suite
# prints "name: N passed, N failed, N skipped"; the last line is the same totalled over every
# suite. A suite that ran nothing counts as a failure, so a run that executed no test cannot pass
# unnoticed.
set -uo pipefail
cd "$(dirname "$0")/.."
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit integration conformance runtime-tools cri)
passed=0 failed=0 skipped=0 status=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Adds a suite's counts to the totals and prints its line. A non-zero exit with no failure
# counted (a crash, a timeout the counts may not show) counts as one; so does running nothing,
# unless the suite said why it skipped everything ($6 = skips-only-ok: runtime-tools without the
# upstream sources beside the repository).
count_suite() {
  local name=$1 rc=$2 p=$3 f=$4 s=$5 skips_only=${6:-}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && ! { [ "$skips_only" = skips-only-ok ] && [ "$s" -gt 0 ]; }; then
    echo "$name: no test ran"; f=1
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  echo "${TSRUN_SUITE_PREFIX:-}$name: $p passed, $f failed, $s skipped"
}

# Runs ava with TAP output, shows it, and counts it.
run_ava() {
  local name=$1; shift
  echo "=== $name"
  npx ava --tap "$@" 2>&1 | tee "$out/$name.tap"
  local rc=${PIPESTATUS[0]}
  local p f s
  p=$(grep -E '^# pass ' "$out/$name.tap" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail ' "$out/$name.tap" | tail -1 | awk '{print $3}')
  s=$(grep -E '^# skip ' "$out/$name.tap" | tail -1 | awk '{print $3}')
  count_suite "$name" "$rc" "${p:-0}" "${f:-0}" "${s:-0}"
}

# Runs the conformance suite against bin/tsrun and counts its last line,
# "conformance: N passed, N failed, N skipped".
run_conformance() {
  local name=$1
  echo "=== $name"
  node dist/conformance/run.js --runtime "tsrun=$PWD/bin/tsrun" --rootfs build/rootfs-busybox 2>&1 | tee "$out/$name.txt"
  local rc=${PIPESTATUS[0]}
  local line
  line=$(grep -E '^conformance: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out/$name.txt" | tail -1)
  if [ -z "$line" ]; then echo "$name: no result line"; failed=$((failed + 1)); return; fi
  count_suite "$name" "$rc" $(echo "$line" | awk '{print $2, $4, $6}')
}

# The OCI runtime-tools validation suite against bin/tsrun on the default engine (once: it takes
# minutes, and the engines' parity is what the other suites check), judged against
# conformance/runtime-tools-expected.txt; its last line is "runtime-tools: N passed, N failed, N skipped".
run_runtime_tools() {
  echo "=== runtime-tools"
  bash scripts/test-runtime-tools.sh 2>&1 | tee "$out/runtime-tools.txt"
  local rc=${PIPESTATUS[0]}
  local line
  line=$(grep -E '^runtime-tools: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out/runtime-tools.txt" | tail -1)
  if [ -z "$line" ]; then echo "runtime-tools: no result line"; failed=$((failed + 1)); return; fi
  count_suite runtime-tools "$rc" $(echo "$line" | awk '{print $2, $4, $6}') skips-only-ok
}

# The suites that drive bin/tsrun run once per engine (TSRUN_TEST_ENGINES, default "bun node node22"):
# tsrun must pass them on Bun (the default), Node 20 (the system's) and Node 22 (from the npm registry) alike.
# Unit tests run in ava's Node only.
engines=(${TSRUN_TEST_ENGINES:-bun node node22})
with_engine() {
  local engine=$1; shift
  local path
  if ! path=$(bash scripts/engine.sh "$engine" --print); then echo "engine $engine: cannot be installed"; failed=$((failed + 1)); return; fi
  export TSRUN_ENGINE=$path
  "$@"
  unset TSRUN_ENGINE
}

# The suites run inside the test VM (test/vm/suite.sh prefixes their names with vm-), totalled
# as one suite here.
run_vm() {
  echo "=== vm"
  # The VM gets no environment from here: the choice of tests goes on the command line.
  bash test/vm/run.sh -- env "TSRUN_VM_TESTS=${TSRUN_VM_TESTS:-}" "TSRUN_VM_SUITES=${TSRUN_VM_SUITES:-}" bash test/vm/suite.sh 2>&1 | tee "$out/vm.txt"
  local rc=${PIPESTATUS[0]}
  count_suite vm "$rc" $(grep -E '^vm-[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out/vm.txt" |
    awk '{p += $2; f += $4; s += $6} END {print p + 0, f + 0, s + 0}')
}

# The integration test files (TSRUN_INTEGRATION_FILES: globs, space-separated; all by default).
read -ra integration_files <<<"${TSRUN_INTEGRATION_FILES:-dist/test/integration/**/*.test.js}"

for suite in "${suites[@]}"; do
  case $suite in
    unit)
      # Some unit tests run code on Bun too (test/unit/file-ops.test.ts): fetch it first.
      bash scripts/engine.sh bun --print >/dev/null || echo "unit: Bun could not be installed: its cases will fail"
      run_ava unit 'dist/test/unit/**/*.test.js' ;;
    integration)
      if [ "$(id -u)" != 0 ]; then echo "integration: needs root"; failed=$((failed + 1)); continue; fi
      for engine in "${engines[@]}"; do
        with_engine "$engine" run_ava "integration-$engine" --serial --timeout=3m "${integration_files[@]}"
      done ;;
    conformance)
      for engine in "${engines[@]}"; do
        with_engine "$engine" run_conformance "conformance-$engine"
      done ;;
    runtime-tools) with_engine "${engines[0]}" run_runtime_tools ;;
    # Pods through containerd's CRI plugin (test/cri/), on the default engine only: the runtime
    # path it drives is the integration suites', which run on every engine.
    cri)
      if [ "$(id -u)" != 0 ]; then echo "cri: needs root"; failed=$((failed + 1)); continue; fi
      with_engine "${engines[0]}" run_ava cri --serial --timeout=3m 'dist/test/cri/**/*.test.js' ;;
    vm) run_vm ;;
    *) echo "unknown suite $suite"; exit 2 ;;
  esac
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
