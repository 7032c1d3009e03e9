#!/usr/bin/env bash
# test-runtime-tools.sh [--compare RUNTIME]: the OCI runtime-tools validation suite for tsrun
# (bin/tsrun, on the engine build/engine names, or $TSRUN_ENGINE), judged against the expected
# failures in conformance/runtime-tools-expected.txt. Runs conformance/runtime-tools.sh, which
# builds the suite from ../shared/runtime-tools and cleans up after every validation.
#
# Prints `runtime-tools: N of 58 passed`, then `runtime-tools: N passed, N failed, N skipped`:
# passed = validations that passed; skipped = listed expected failures that failed; failed =
# every other failure plus every listed validation that passed (remove it from the list). The
# three add up to the number of validations. Exit status 1 when failed > 0.
# Without ../shared/runtime-tools the suite is reported skipped (0 passed, 0 failed, 1 skipped).
#
# RUNTIME_TOOLS_COMPARE=runc (or --compare runc) runs that runtime too, in the same run, and
# prints its own `N of 58 passed` and the side-by-side table (no expected list applies to it).
# Logs: build/runtime-tools/results-test/<runtime>/<validation>.{tap,err}.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
expected=${RUNTIME_TOOLS_EXPECTED:-conformance/runtime-tools-expected.txt} # another list: for testing this script
compare=${RUNTIME_TOOLS_COMPARE:-}
while [ $# -gt 0 ]; do
	case $1 in
	--compare) compare=$2; shift 2 ;;
	--compare=*) compare=${1#*=}; shift ;;
	*) echo "usage: test-runtime-tools.sh [--compare RUNTIME]" >&2; exit 2 ;;
	esac
done

totals() { echo "runtime-tools: $1 passed, $2 failed, $3 skipped"; }
fail_setup() { echo "runtime-tools: $*"; totals 0 1 0; exit 1; }

[ "$(id -u)" -eq 0 ] || fail_setup "needs root (the suite creates containers and cgroups)"
[ -x bin/tsrun ] || fail_setup "bin/tsrun is missing: run make first"

# ------------------------------------------------------------------ host conditions
# The suite reads cgroup files from v1 hierarchies only. A v1 hierarchy carries its controllers
# in its super options (the last field of mountinfo).
v1_mount_with() { # $1=controller: prints the mount point of the v1 hierarchy that has it
	awk -v c="$1" '{ for (i = 7; i < NF; i++) if ($i == "-") break }
		$(i + 1) == "cgroup" { n = split($(i + 3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }' /proc/self/mountinfo
}
bounding_set_incomplete() {
	local bnd last
	bnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)
	last=$(cat /proc/sys/kernel/cap_last_cap)
	[ $((0x$bnd)) -ne $(((1 << (last + 1)) - 1)) ]
}
# Writes a kernel memory limit in a fresh child of this process's memory cgroup and reads it back.
kmem_limit_unsupported() {
	local mnt rel dir ok=1
	mnt=$(v1_mount_with memory)
	[ -n "$mnt" ] || return 1 # no v1 memory controller: the condition does not apply
	rel=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
	dir=$mnt$rel/tsrun-kmem-probe.$$
	mkdir "$dir" 2>/dev/null || return 1
	if echo 50593792 >"$dir/memory.kmem.limit_in_bytes" 2>/dev/null &&
		[ "$(cat "$dir/memory.kmem.limit_in_bytes" 2>/dev/null)" = 50593792 ]; then ok=0; fi
	rmdir "$dir"
	[ "$ok" = 1 ]
}
condition_holds() { # $1=condition as written in the list
	case $1 in
	no-path:?*) [ ! -e "${1#no-path:}" ] ;;
	no-v1-controller:?*) [ -z "$(v1_mount_with "${1#no-v1-controller:}")" ] ;;
	no-lsm:apparmor) [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] ;;
	no-lsm:selinux) [ ! -e /sys/fs/selinux/enforce ] ;;
	bounding-set-incomplete) bounding_set_incomplete ;;
	kmem-limit-unsupported) kmem_limit_unsupported ;;
	*) return 2 ;;
	esac
}

# ------------------------------------------------------------------ the expected list
# exp_class/exp_reason/exp_racy[NAME]: the first line for NAME whose condition holds.
declare -A exp_class exp_reason exp_racy exp_seen
read_expected() {
	local line no=0 name class cond racy rest rc
	while IFS= read -r line || [ -n "$line" ]; do
		no=$((no + 1))
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		read -r name class rest <<<"$line"
		class=${class%:} cond='' racy=0
		case $class in env | suite-bug | tsrun | design) ;; *) echo "$expected:$no: unknown class '$class'"; return 1 ;; esac
		if [[ $rest == if=* ]]; then cond=${rest%%[[:space:]]*}; cond=${cond#if=}; rest=${rest#"if=$cond"}; rest=${rest#"${rest%%[![:space:]]*}"}; fi
		if [[ $rest == racy* ]]; then racy=1; rest=${rest#racy}; rest=${rest#"${rest%%[![:space:]]*}"}; fi
		[ -n "$rest" ] || { echo "$expected:$no: $name has no reason"; return 1; }
		[ "$class" != env ] || [ -n "$cond" ] || { echo "$expected:$no: $name: an env: entry needs if=CONDITION"; return 1; }
		exp_seen[$name]=1
		[ -z "${exp_class[$name]:-}" ] || continue
		if [ -n "$cond" ]; then
			condition_holds "$cond"; rc=$?
			[ "$rc" -ne 2 ] || { echo "$expected:$no: $name: unknown condition '$cond'"; return 1; }
			[ "$rc" -eq 0 ] || continue
			rest="$rest [$cond]"
		fi
		exp_class[$name]=$class exp_reason[$name]=$rest exp_racy[$name]=$racy
	done <"$expected"
}
msg=$(read_expected; declare -p exp_class exp_reason exp_racy exp_seen) || fail_setup "$msg"
eval "$msg"

# ------------------------------------------------------------------ run
results=$repo/build/runtime-tools/results-test
runtimes=(tsrun)
[ -z "$compare" ] || runtimes+=("$compare")
engine=${TSRUN_ENGINE:-$(cat build/engine 2>/dev/null)}
echo "runtime-tools: tsrun = bin/tsrun on ${engine:-its default engine}${compare:+, compared with $compare}"
t0=$(date +%s)
# In the background, so that an INT or TERM reaches the runner at once: it stops the running
# validation and removes what it left (containers, mounts, cgroups, directories).
mkdir -p build/runtime-tools
bash conformance/runtime-tools.sh --results "$results" "${runtimes[@]}" >"$repo/build/runtime-tools/test-table.md" &
runner=$!
trap 'kill -TERM "$runner" 2>/dev/null; wait "$runner"; exit 130' INT
trap 'kill -TERM "$runner" 2>/dev/null; wait "$runner"; exit 143' TERM HUP
wait "$runner"
rc=$?
trap - INT TERM HUP
if [ "$rc" -eq 77 ]; then
	echo "runtime-tools: skipped: ../shared/runtime-tools (the upstream suite, kept beside the repository) is missing"
	totals 0 0 1
	exit 0
fi
[ -s "$results/tsrun.verdicts" ] || fail_setup "the runner stopped before any verdict (exit status $rc)"
total=$(find build/runtime-tools/runtime-tools/validation -name '*.t' | wc -l)

for n in "${!exp_seen[@]}"; do
	grep -q "^$n " "$results/tsrun.verdicts" || fail_setup "$expected names '$n', which is not a validation"
done

# A listed validation that passed counts as failed (not passed), so the totals add up.
passed=0 failed=0 skipped=0
while read -r n v cause; do
	class=${exp_class[$n]:-}
	if [ "$v" = PASS ] && { [ -z "$class" ] || [ "${exp_racy[$n]}" = 1 ]; }; then
		passed=$((passed + 1))
	elif [ "$v" = PASS ]; then
		failed=$((failed + 1))
		echo "runtime-tools: FAIL $n passed but is listed as an expected failure ($class:): remove it from $expected"
	elif [ -n "$class" ]; then
		skipped=$((skipped + 1))
		echo "runtime-tools: skip $n ($class: ${exp_reason[$n]}) -- got: $cause"
	else
		failed=$((failed + 1))
		echo "runtime-tools: FAIL $n: $v: $cause"
	fi
done <"$results/tsrun.verdicts"
ran=$(wc -l <"$results/tsrun.verdicts")
[ "$ran" -eq "$total" ] || { echo "runtime-tools: FAIL only $ran of $total validations ran"; failed=$((failed + total - ran)); }

if [ -n "$compare" ]; then
	grep -E '^(\||cgroups: )' "$repo/build/runtime-tools/test-table.md"
	echo "runtime-tools ($compare): $(grep -c ' PASS' "$results/$compare.verdicts") of $total passed"
fi
echo "runtime-tools: time $(($(date +%s) - t0)) s; logs in ${results#"$repo"/}/"
echo "runtime-tools: $(grep -c ' PASS' "$results/tsrun.verdicts") of $total passed"
totals "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
