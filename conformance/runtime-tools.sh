#!/usr/bin/env bash
# runtime-tools.sh: run the OCI runtime-tools validation suite (validation/*/ of
# github.com/opencontainers/runtime-tools, one TAP-printing program per validation, driven by
# RUNTIME=<binary>) against runc-compatible runtimes, and compare them.
#
#   sudo bash conformance/runtime-tools.sh tsrun@HEAD runc   # tsrun built from HEAD, runc to compare
#   sudo bash conformance/runtime-tools.sh tsrun runc        # bin/tsrun of the working tree
#   sudo bash conformance/runtime-tools.sh --only 'kill|delete' tsrun@HEAD runc
#   sudo bash conformance/runtime-tools.sh --build-only
#
# RUNTIME args: `tsrun` (bin/tsrun of this checkout), `tsrun@REV` (built from `git archive REV`
# into build/runtime-tools/tsrun-<sha>/, immune to a concurrent `make`), `runc`, `crun`, or
# NAME=/path/to/binary.
# Options: --only REGEX (validations to run), --skip REGEX, --timeout SECONDS (per validation,
# default 60), --build-only, --no-install (fail rather than apt-get install golang-go when Go
# is missing), --results DIR (where TAP logs and verdicts go, default build/runtime-tools/results;
# emptied first).
#
# Steps: (a) builds the 58 validation programs and runtimetest from ../shared/runtime-tools (the
# upstream source, outside this repository) with its build.sh into build/runtime-tools/ (skipped
# when up to date); (b) runs every validation for every runtime, each runtime through a wrapper
# that adds a PRIVATE `--root` (runtime-tools itself passes no --root; RUNTIME may be any
# executable, so the wrapper is allowed), with TMPDIR (the suite's bundles) private too; after each
# validation every container left in that private root is `delete --force`d and counted, mounts
# left under the bundles are detached and counted (the run is inside a private mount namespace),
# bundles are removed; after each runtime, cgroups named cgrouptest/testdir that appeared are
# rmdir'ed and listed; (c) prints a table and `runtime-tools: N passed, N failed` for the FIRST
# runtime, and writes results/<runtime>.verdicts: one line `validation VERDICT cause` each.
# An interrupt (INT, TERM, HUP) stops the running validation and does the same clean-up.
# Exit status: 1 when the first runtime fails a validation that a later runtime passes (or, with
# one runtime, fails any validation); 77 when ../shared/runtime-tools is missing; 2 on usage or
# build errors.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$repo/build/runtime-tools
shared=${RUNTIME_TOOLS_SRC:-$repo/../shared/runtime-tools}
suite=$out/runtime-tools # what build.sh makes: validation/<name>/<name>.t, runtimetest, rootfs-amd64.tar.gz

only='' skip='' timeout_s=60 build_only=0 no_install=0 results=$out/results
runtimes=()
die() { echo "runtime-tools: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--only) only=$2; shift 2 ;;
	--only=*) only=${1#*=}; shift ;;
	--skip) skip=$2; shift 2 ;;
	--skip=*) skip=${1#*=}; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	--build-only) build_only=1; shift ;;
	--no-install) no_install=1; shift ;;
	--results) results=$2; shift 2 ;;
	--results=*) results=${1#*=}; shift ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) runtimes+=("$1"); shift ;;
	esac
done
[ "$build_only" = 1 ] || [ ${#runtimes[@]} -gt 0 ] || die "usage: runtime-tools.sh [--only RE] [--timeout S] RUNTIME... (tsrun, runc, crun, NAME=/path)"
shared=$(realpath -m "$shared")
[ -f "$shared/build.sh" ] || { echo "runtime-tools: cannot build the suite: $shared (the upstream runtime-tools source and its build.sh, kept beside the repository as ../shared/runtime-tools) is missing" >&2; exit 77; }
results=$(realpath -m "$results")
[ "$(id -u)" -eq 0 ] || die "must run as root (the suite creates containers and cgroups)"

# ---------------------------------------------------------------- (a) build
# Up to date: every program exists and the stamp is newer than build.sh, the archive and the
# Go back-ports. build.sh unpacks its archive only once: a newer archive needs a fresh tree.
built() {
	local f
	[ -f "$out/.built" ] && [ -x "$suite/runtimetest" ] && [ -s "$suite/rootfs-amd64.tar.gz" ] || return 1
	for f in "$suite"/validation/*/; do
		[ "$(basename "$f")" = util ] || [ -x "$f/$(basename "$f").t" ] || return 1
	done
	[ -z "$(find "$shared/build.sh" "$shared"/*.tar.gz "$shared/go-backports" -newer "$out/.built" -print -quit 2>/dev/null)" ]
}
if ! built; then
	if ! command -v go >/dev/null && [ ! -x /usr/lib/go-1.19/bin/go ] && [ "$no_install" = 1 ]; then
		die "Go is missing (golang-go) and --no-install forbids installing it"
	fi
	echo "runtime-tools: building the validations with $shared/build.sh into ${out#"$repo"/}/" >&2
	t0=$(date +%s)
	[ -f "$suite/.unpacked" ] && [ -n "$(find "$shared" -name '*.tar.gz' -newer "$suite/.unpacked" -print -quit)" ] && rm -rf "$suite"
	rm -f "$out/.built"
	bash "$shared/build.sh" "$out" >&2 || die "$shared/build.sh failed"
	touch "$out/.built"
	echo "runtime-tools: built in $(($(date +%s) - t0)) s" >&2
fi
mapfile -t names < <(cd "$suite/validation" && for d in */; do d=${d%/}; [ "$d" = util ] || echo "$d"; done)
[ "$build_only" = 1 ] && { echo "runtime-tools: build ok (${#names[@]} validations)"; exit 0; }

# ---------------------------------------------------------------- (b) run
# Run in a private mount namespace: a runtime that mounts in its caller's mount namespace
# (runc does, for linux_ns_itype's container that has no mount namespace of its own) then leaves
# nothing mounted on the host; everything mounted here goes away with the namespace.
if [ -z "${RUNTIME_TOOLS_MNTNS:-}" ]; then
	RUNTIME_TOOLS_MNTNS=1 exec unshare --mount --propagation private -- bash "$0" --no-install \
		${only:+--only "$only"} ${skip:+--skip "$skip"} --timeout "$timeout_s" --results "$results" "${runtimes[@]}"
fi
sel=()
for n in "${names[@]}"; do
	[ -n "$only" ] && ! [[ $n =~ $only ]] && continue
	[ -n "$skip" ] && [[ $n =~ $skip ]] && continue
	sel+=("$n")
done
[ ${#sel[@]} -gt 0 ] || die "no validation matches"

# tsrun@REV: tsrun built from `git archive REV` in build/runtime-tools/tsrun-<sha>/ (tsc + the
# native helpers, node_modules shared with the checkout), so that a run is not disturbed by a
# concurrent `make` in the working tree (dist/ and build/tsrun-executor change under it).
snapshot() {
	local sha dir cflags
	sha=$(git -C "$repo" rev-parse --short "$1^{commit}") || return 1
	dir=$out/tsrun-$sha
	if [ ! -f "$dir/.built" ]; then
		echo "runtime-tools: building tsrun $sha in ${dir#"$repo"/}/" >&2
		rm -rf "$dir" && mkdir -p "$dir/build" || return 1
		git -C "$repo" archive "$sha" | tar -x -C "$dir" || return 1
		ln -s "$repo/node_modules" "$dir/node_modules"
		cflags=(-O2 -g0 -Wall -Wextra -Werror=implicit-function-declaration -std=gnu11 -static -D_GNU_SOURCE)
		(cd "$dir" && npx tsc -p tsconfig.json >&2 &&
			gcc "${cflags[@]}" -o build/tsrun-executor native/executor/*.c >&2 &&
			gcc "${cflags[@]}" -o build/tsrun-console native/console/proxy.c >&2 &&
			{ [ ! -f native/launcher/tsrun.c ] || { mkdir -p bin && gcc "${cflags[@]}" -o bin/tsrun native/launcher/tsrun.c >&2; }; } &&
			{ [ ! -f native/addon/tsrun-sys.c ] || gcc "${cflags[@]/-static/-shared}" -fPIC -fvisibility=hidden -o build/tsrun-sys.node native/addon/tsrun-sys.c >&2; }) || return 1
		touch "$dir/.built"
	fi
	echo "$dir"
}

rnames=() rbins=()
for r in "${runtimes[@]}"; do
	case $r in
	*=*) name=${r%%=*} bin=${r#*=} ;;
	tsrun) name=tsrun bin=$repo/bin/tsrun ;;
	tsrun@*) name=$r bin=$(snapshot "${r#tsrun@}")/bin/tsrun || die "cannot build tsrun at ${r#tsrun@}" ;;
	*) name=$r bin=$(command -v "$r") || die "runtime $r not found" ;;
	esac
	[ -x "$bin" ] || die "runtime $name: $bin is not executable"
	rnames+=("$name") rbins+=("$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")")
done

# Emptied first: only a directory this script made (it holds .runtime-tools-results), or an empty one.
if [ -n "$(ls -A "$results" 2>/dev/null)" ] && [ ! -f "$results/.runtime-tools-results" ]; then
	die "--results $results: not empty and not made by this script"
fi
rm -rf "$results"; mkdir -p "$results" && touch "$results/.runtime-tools-results" || die "cannot make $results"
runstart=$out/.runstart; touch "$runstart"
declare -A verdict okc notokc skipc leaked mounted secs
leftcg=()

sweep() { # $1=bin $2=state root: delete --force every container the suite left behind
	local n=0 id
	for id in $(ls -A "$2" 2>/dev/null); do
		case $id in .*) continue ;; esac # dot names are no container's
		[ -d "$2/$id" ] || continue
		timeout -k 2 15 "$1" --root "$2" delete --force "$id" >/dev/null 2>&1
		n=$((n + 1))
	done
	echo "$n"
}

# Mounts a runtime made in its caller's mount namespace (ours, private) under $1: detach, count.
unmount_under() {
	local n=0 m
	while IFS= read -r m; do umount -l "$m" 2>/dev/null && n=$((n + 1)); done \
		< <(awk -v p="$1/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	echo "$n"
}

# cgroups the suite asked for (cgroupsPath /cgrouptest, or testdir/cgrouptest/container relative
# to the caller's cgroup) made since the last call: rmdir them, deepest first, and list them.
# (runc removes only the leaf of a relative cgroupsPath.)
remove_test_cgroups() {
	local d left=()
	while IFS= read -r d; do
		[ -n "$d" ] || continue
		rmdir "$d" 2>/dev/null && left+=("${d#/sys/fs/cgroup/}") || left+=("${d#/sys/fs/cgroup/} (not empty, kept)")
	done < <(find /sys/fs/cgroup -maxdepth 8 -type d \( -name cgrouptest -o -name testdir -o -path '*/testdir/cgrouptest/container' \) \
		-newer "$runstart" 2>/dev/null | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
	touch "$runstart"
	[ ${#left[@]} -eq 0 ] || echo "left ${#left[@]} cgroup dir(s), removed: ${left[*]}"
}

# Reads a validation's TAP and prints "OK NOTOK SKIP STRAY CAUSE": its test points (TODO apart),
# STRAY = 1 when a YAML block that follows no test point carries a non-empty "error" (hooks,
# prestart, poststart_fail, ... report a failure only that way, under `1..0`; a block under an
# `ok` line is a detail of that point), and CAUSE = the first `not ok` line with what its YAML
# block (error, stderr, expected/actual) and its `#` comments say, else the stray error.
read_tap() {
	awk '
	function clean(s) { sub(/,$/, "", s); sub(/"$/, "", s); sub(/^"/, "", s); sub(/^[0-9]+ errors? occurred:(\\n)*(\\t\* )?/, "", s); gsub(/\\n\\t\* /, "; ", s); sub(/(\\n)+$/, "", s); sub(/\\n.*/, "", s); gsub(/\\"/, "\"", s); gsub(/[\t\r]/, " ", s); return s }
	function add(s) { if (s != "" && detail !~ ("(^|; )" s "$")) detail = detail (detail == "" ? "" : "; ") s }
	/^ok [0-9]+/ { if ($0 ~ /# SKIP/) sk++; else ok++; point = 1; want = 0; next }
	/^not ok [0-9]+/ {
		point = 1; want = 0
		if ($0 ~ /# TODO/) next
		if (nok++ == 0) { first = clean($0); want = 1 }
		next
	}
	/^  ---/ { inblock = 1; under = point; next }
	/^  \.\.\./ { inblock = 0; point = 0; next }
	inblock && match($0, /^ +"?[a-z ]+"?: */) {
		key = substr($0, RSTART, RLENGTH); gsub(/[ ":]/, "", key); val = clean(substr($0, RSTART + RLENGTH))
		if (val == "") next
		if (want && (key == "error" || key == "stderr" || key == "expected" || key == "actual")) add(key == "error" || key == "stderr" ? val : key " " val)
		if (key == "error" && !under) { stray = 1; if (strayerr == "") strayerr = val }
		next
	}
	inblock { next }
	/^# / { if (want) add(substr($0, 3)); next }
	/^(TAP version|[0-9]+\.\.[0-9]+)/ { point = 0 }
	END {
		c = first != "" ? first (detail != "" ? " -- " detail : "") : strayerr
		printf "%d %d %d %d %s\n", ok, nok, sk, stray, c
	}' "$1"
}

# Interrupted or not: stop the running validation, force-delete its containers, detach its
# mounts, remove its cgroups and every private directory.
cur_pid='' cur_bin='' cur_priv=''
cleanup() {
	trap '' INT TERM HUP
	if [ -n "$cur_pid" ]; then kill -TERM "$cur_pid" 2>/dev/null; wait "$cur_pid" 2>/dev/null; fi
	if [ -n "$cur_priv" ] && [ -d "$cur_priv" ]; then
		sweep "$cur_bin" "$cur_priv/state" >/dev/null
		unmount_under "$cur_priv/tmp" >/dev/null
		rm -rf --one-file-system "$cur_priv"
	fi
	remove_test_cgroups >/dev/null
}
trap cleanup EXIT
trap 'echo "runtime-tools: interrupted, cleaning up" >&2; exit 130' INT
trap 'echo "runtime-tools: terminated, cleaning up" >&2; exit 143' TERM HUP

T0=$(date +%s)
for i in "${!rnames[@]}"; do
	name=${rnames[$i]} bin=${rbins[$i]}
	cur_bin=$bin cur_priv=$(mktemp -d "$out/run-$name.XXXXXX")
	priv=$cur_priv state=$cur_priv/state work=$cur_priv/work tmp=$cur_priv/tmp
	mkdir -p "$state" "$work" "$tmp" "$results/$name"
	# runtime-tools runs "$RUNTIME <subcommand> ...": put the private --root in front.
	printf '#!/bin/sh\nexec %q --root %q "$@"\n' "$bin" "$state" >"$priv/$name"
	chmod 0755 "$priv/$name"
	# Real files: the suite copies ./runtimetest into each bundle with fileutils.CopyFile, which
	# would copy a symlink as a symlink.
	cp "$suite/runtimetest" "$suite/rootfs-amd64.tar.gz" "$work/"
	echo "runtime-tools: $name ($bin), ${#sel[@]} validations, timeout ${timeout_s}s each" >&2
	: >"$results/$name.verdicts"
	for n in "${sel[@]}"; do
		log=$results/$name/$n
		t1=$(date +%s.%N)
		# In the background, so that a signal to this script is handled at once (bash defers
		# traps until a foreground child ends); `timeout` passes the TERM on to the validation.
		(cd "$work" && RUNTIME=$priv/$name TMPDIR=$tmp exec timeout -k 5 "$timeout_s" "$suite/validation/$n/$n.t" >"$log.tap" 2>"$log.err") &
		cur_pid=$!
		wait "$cur_pid"
		rc=$? cur_pid=''
		secs[$name,$n]=$(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		leaked[$name,$n]=$(sweep "$bin" "$state")
		mounted[$name,$n]=$(unmount_under "$tmp")
		rm -rf --one-file-system "${tmp:?}"/* 2>/dev/null
		read -r ok nok sk stray cause < <(read_tap "$log.tap")
		v=PASS
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then v=TIMEOUT
		elif [ "$nok" -gt 0 ] || [ "$rc" -ne 0 ] || [ "$stray" -ne 0 ]; then v=FAIL
		fi
		verdict[$name,$n]=$v okc[$name,$n]=$ok notokc[$name,$n]=$nok skipc[$name,$n]=$sk
		if [ "$v" = PASS ]; then cause=''
		else
			# TAP without details (a program that stopped at once, a bare `not ok`): add the last
			# telling line of its stderr.
			errline=$(grep -vE '^[[:space:]]*$|^exit status [0-9]+$|^Refer to: ' "$log.err" | tail -1 | tr '\t' ' ')
			if [ -z "$cause" ]; then cause=$errline
			elif [[ $cause != *' -- '* ]] && [ -n "$errline" ]; then cause+=" -- $errline"
			fi
			[ "$v" != TIMEOUT ] || cause="timed out after ${timeout_s}s${cause:+; $cause}"
			[ -n "$cause" ] || cause="exit status $rc"
			cause=${cause:0:300}
		fi
		printf '%s %s %s\n' "$n" "$v" "$cause" >>"$results/$name.verdicts"
		printf '  %-34s %-7s ok=%-3s not-ok=%-3s skip=%-3s rc=%-3s %5ss%s\n' "$n" "$v" "$ok" "$nok" "$sk" "$rc" \
			"${secs[$name,$n]}" "$([ "${leaked[$name,$n]}" -gt 0 ] && echo "  (${leaked[$name,$n]} container(s) left behind, force-deleted)")$([ "${mounted[$name,$n]}" -gt 0 ] && echo "  (${mounted[$name,$n]} mount(s) left in the caller's namespace)")" >&2
	done
	rm -rf --one-file-system "$priv"
	cur_priv=''
	cg=$(remove_test_cgroups)
	[ -z "$cg" ] || leftcg+=("$name $cg")
done

# ---------------------------------------------------------------- (c) report
first=${rnames[0]}
echo
printf '| validation |'; for r in "${rnames[@]}"; do printf ' %s |' "$r"; done; printf ' note |\n'
printf '|---|'; for r in "${rnames[@]}"; do printf -- '---|'; done; printf -- '---|\n'
passed=0 failed=0 only_first=0
for n in "${sel[@]}"; do
	printf '| %s |' "$n"
	for r in "${rnames[@]}"; do
		v=${verdict[$r,$n]}
		cell="$v ${okc[$r,$n]}/${notokc[$r,$n]}"
		[ "${skipc[$r,$n]}" -gt 0 ] && cell+=" (${skipc[$r,$n]} skip)"
		[ "$v" != PASS ] && cell="**$cell**"
		printf ' %s |' "$cell"
	done
	note=''
	if [ "${verdict[$first,$n]}" = PASS ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		if [ ${#rnames[@]} -gt 1 ]; then
			others_pass=0
			for r in "${rnames[@]:1}"; do [ "${verdict[$r,$n]}" = PASS ] && others_pass=1; done
			if [ "$others_pass" = 1 ]; then note="$first only"; only_first=$((only_first + 1))
			else note="also fails with ${rnames[*]:1}"; fi
		else
			only_first=$((only_first + 1))
		fi
	fi
	lk=''
	for r in "${rnames[@]}"; do
		[ "${leaked[$r,$n]}" -gt 0 ] && lk+=" $r left ${leaked[$r,$n]} container(s);"
		[ "${mounted[$r,$n]}" -gt 0 ] && lk+=" $r left ${mounted[$r,$n]} mount(s) in the caller's mount ns;"
	done
	printf ' %s |\n' "$note$lk"
done
echo
echo "cells: verdict ok/not-ok from TAP (skips apart); logs: ${results#"$repo"/}/<runtime>/<validation>.{tap,err}"
for l in "${leftcg[@]}"; do echo "cgroups: $l"; done
echo "time: $(($(date +%s) - T0)) s"
echo "runtime-tools: $passed passed, $failed failed"
[ "$only_first" -eq 0 ]
