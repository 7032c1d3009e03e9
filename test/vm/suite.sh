#!/usr/bin/env bash
# The `vm` suite, run inside the test VM by scripts/test-all.sh (test/vm/run.sh -- bash
# test/vm/suite.sh): the tests about cgroups and the real clients, on the default engine, with the
# cgroupfs driver, then a check that they left no cgroup, mount or state behind. Its suites'
# lines are prefixed vm- so the host's test-all counts them as the vm suite.
set -uo pipefail
cd "$(dirname "$0")/../.."
export TSRUN_SUITE_PREFIX=vm- TSRUN_TEST_ENGINES=${TSRUN_TEST_ENGINES:-bun}
export TSRUN_INTEGRATION_FILES=${TSRUN_VM_TESTS:-"dist/test/integration/cgroup2-limits.test.js dist/test/integration/cgroups.test.js dist/test/integration/resources.test.js dist/test/integration/lifecycle.test.js dist/test/integration/runc-parity-cgroups.test.js dist/test/integration/containerd.test.js dist/test/integration/podman.test.js dist/test/integration/systemd-driver.test.js dist/test/integration/systemd-containerd.test.js dist/test/integration/systemd-podman.test.js"}

# What exists before the tests: cgroups, mounts, runtime state. The same must exist after, but
# for /sys/fs/cgroup/tsrun: the parent tsrun puts containers without a cgroupsPath in, shared by
# them all and kept (as a manager's parent cgroup is), its children removed with their containers.
export LC_ALL=C
snapshot() {
  find /sys/fs/cgroup -mindepth 1 -type d ! -path /sys/fs/cgroup/tsrun
  awk '{print $5}' /proc/self/mountinfo
  ls -d /run/tsrun/* /run/runc/* /run/containerd/* /run/containers/* 2>/dev/null
}
before=$(snapshot)
bash scripts/test-all.sh ${TSRUN_VM_SUITES:-integration conformance}
rc=$?
# Give asynchronous removals (shims, conmon) a moment before the count.
sleep 2
left=$(comm -13 <(echo "$before" | sort -u) <(snapshot | sort -u))
if [ -z "$left" ]; then echo "vm-leftovers: 1 passed, 0 failed, 0 skipped"
else
  echo "left behind by the tests:"; echo "$left"
  echo "vm-leftovers: 0 passed, 1 failed, 0 skipped"; rc=1
fi
exit $rc
