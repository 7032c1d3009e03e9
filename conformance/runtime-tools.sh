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
# default 60), --build-only, --no-install (never call apt-get).
#
# Steps: (a) installs the Debian packages it needs when missing (root, idempotent); (b) builds
# the validation programs and runtimetest into build/runtime-tools/ (skipped when the binaries are
# newer than every source); (c) runs every validation for every runtime, each runtime through a
# wrapper that adds a PRIVATE `--root` (runtime-tools itself passes no --root; RUNTIME may be any
# executable, so the wrapper is allowed), with TMPDIR (the suite's bundles) private too; after each
# validation every container left in that private root is `delete --force`d and counted, mounts
# left under the bundles are detached and counted (the run is inside a private mount namespace),
# bundles are removed; after each runtime, cgroups named cgrouptest/testdir that appeared are
# rmdir'ed and listed; (d) prints a table and `runtime-tools: N passed, N failed` for the FIRST runtime.
# Exit status: 1 when the first runtime fails a validation that a later runtime passes (or, with
# one runtime, fails any validation); 77 when the validation sources are not available.
#
# Sources. Debian's golang-github-opencontainers-runtime-tools-dev ships only the library
# (generate, specerror, cgroups, validate, ...), NOT validation/ nor cmd/runtimetest, and
# github.com/mndrix/tap-go has no Debian package. Those sources are not in this repository (they
# are upstream code); they are looked for in $RUNTIME_TOOLS_GOPATH (default
# /var/cache/tsrun/runtime-tools/gopath), a GOPATH tree holding
#   src/github.com/opencontainers/runtime-tools/{validation/*,cmd/runtimetest}
#   src/github.com/mndrix/tap-go
# and built in GOPATH mode together with /usr/share/gocode. See conformance/RUNTIME-TOOLS.md.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$repo/build/runtime-tools
srcroot=${RUNTIME_TOOLS_GOPATH:-/var/cache/tsrun/runtime-tools/gopath}
rt=github.com/opencontainers/runtime-tools

only='' skip='' timeout_s=60 build_only=0 no_install=0
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
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) runtimes+=("$1"); shift ;;
	esac
done
[ "$build_only" = 1 ] || [ ${#runtimes[@]} -gt 0 ] || die "usage: runtime-tools.sh [--only RE] [--timeout S] RUNTIME... (tsrun, runc, crun, NAME=/path)"
[ "$(id -u)" -eq 0 ] || die "must run as root (the suite creates containers and cgroups)"

# ---------------------------------------------------------------- (a) Debian packages
pkgs=(golang-go golang-github-opencontainers-runtime-tools-dev golang-github-google-uuid-dev
	golang-gopkg-yaml.v3-dev golang-golang-x-sys-dev golang-github-mrunalp-fileutils-dev
	golang-github-hashicorp-go-multierror-dev golang-github-urfave-cli-dev
	golang-github-sirupsen-logrus-dev golang-gocapability-dev busybox-static util-linux tar gzip)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$no_install" = 0 ] || die "missing Debian packages: ${missing[*]}"
	echo "runtime-tools: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } ||
		die "apt-get install ${missing[*]} failed"
fi

# ---------------------------------------------------------------- (b) build
vsrc=$srcroot/src/$rt/validation
need=("$vsrc/util/test.go" "$vsrc/util/container.go" "$srcroot/src/$rt/cmd/runtimetest/main.go"
	"$srcroot/src/github.com/mndrix/tap-go/tap.go")
for f in "${need[@]}"; do
	if [ ! -f "$f" ]; then
		cat >&2 <<EOF
runtime-tools: cannot build the validation suite: $f is missing.
  Debian's golang-github-opencontainers-runtime-tools-dev has no validation/ or cmd/runtimetest,
  and there is no Debian package for github.com/mndrix/tap-go. Put a GOPATH tree with
    src/$rt/validation/{util,<name>...}, src/$rt/cmd/runtimetest{,/mount}
    src/github.com/mndrix/tap-go
  in \$RUNTIME_TOOLS_GOPATH (default /var/cache/tsrun/runtime-tools/gopath); see conformance/RUNTIME-TOOLS.md.
EOF
		exit 77
	fi
done

mapfile -t names < <(cd "$vsrc" && for d in */; do d=${d%/}; [ "$d" = util ] || echo "$d"; done)
mkdir -p "$out"
stamp=$out/.built
stale=0
[ -f "$stamp" ] || stale=1
for n in "${names[@]}" runtimetest; do
	b=$out/$n.t; [ "$n" = runtimetest ] && b=$out/runtimetest
	[ -x "$b" ] || stale=1
done
if [ "$stale" = 0 ] && [ -n "$(find "$srcroot/src" /usr/share/gocode/src/$rt -name '*.go' -newer "$stamp" -print -quit 2>/dev/null)" ]; then
	stale=1
fi
if [ "$stale" = 1 ]; then
	echo "runtime-tools: building ${#names[@]} validations + runtimetest into ${out#"$repo"/}/" >&2
	t0=$(date +%s)
	tmpb=$(mktemp -d "$out/.bin.XXXXXX")
	pkgsl=("$rt/cmd/runtimetest")
	for n in "${names[@]}"; do pkgsl+=("$rt/validation/$n"); done
	if ! GO111MODULE=off GOFLAGS= GOPATH="$srcroot:/usr/share/gocode" GOCACHE="$out/.gocache" \
		go build -o "$tmpb/" "${pkgsl[@]}"; then
		rm -rf "$tmpb"; die "go build failed"
	fi
	for n in "${names[@]}"; do mv -f "$tmpb/$n" "$out/$n.t"; done
	mv -f "$tmpb/runtimetest" "$out/runtimetest"
	rm -rf "$tmpb"
	touch "$stamp"
	echo "runtime-tools: built in $(($(date +%s) - t0)) s" >&2
fi
# The suite untars rootfs-<GOARCH>.tar.gz from its working directory: a busybox rootfs.
if [ ! -s "$out/rootfs-amd64.tar.gz" ]; then
	bash "$repo/scripts/make-rootfs.sh" "$out/rootfs" || die "make-rootfs failed"
	tar -C "$out/rootfs" -czf "$out/rootfs-amd64.tar.gz.tmp" . && mv "$out/rootfs-amd64.tar.gz.tmp" "$out/rootfs-amd64.tar.gz"
fi
[ "$build_only" = 1 ] && { echo "runtime-tools: build ok (${#names[@]} validations)"; exit 0; }

# ---------------------------------------------------------------- (c) run
# Run in a private mount namespace: a runtime that mounts in its caller's mount namespace
# (runc does, for linux_ns_itype's container that has no mount namespace of its own) then leaves
# nothing mounted on the host; everything mounted here goes away with the namespace.
if [ -z "${RUNTIME_TOOLS_MNTNS:-}" ]; then
	RUNTIME_TOOLS_MNTNS=1 exec unshare --mount --propagation private -- bash "$0" --no-install \
		${only:+--only "$only"} ${skip:+--skip "$skip"} --timeout "$timeout_s" "${runtimes[@]}"
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

results=$out/results
rm -rf "$results"; mkdir -p "$results"
runstart=$out/.runstart; touch "$runstart"
declare -A verdict okc notokc skipc leaked mounted secs
leftcg=()
cleanup_dirs=()
trap 'for d in "${cleanup_dirs[@]}"; do rm -rf --one-file-system "$d"; done' EXIT

sweep() { # $1=bin $2=state root: delete --force every container the suite left behind
	local n=0 id
	for id in $(ls -A "$2" 2>/dev/null); do
		case $id in .*) continue ;; esac # tsrun keeps .seccomp-cache/ there
		[ -d "$2/$id" ] || continue
		timeout -k 2 15 "$1" --root "$2" delete --force "$id" >/dev/null 2>&1
		n=$((n + 1))
	done
	echo "$n"
}

T0=$(date +%s)
for i in "${!rnames[@]}"; do
	name=${rnames[$i]} bin=${rbins[$i]}
	priv=$(mktemp -d "$out/run-$name.XXXXXX"); cleanup_dirs+=("$priv")
	state=$priv/state work=$priv/work tmp=$priv/tmp
	mkdir -p "$state" "$work" "$tmp" "$results/$name"
	# runtime-tools runs "$RUNTIME <subcommand> ...": put the private --root in front.
	printf '#!/bin/sh\nexec %q --root %q "$@"\n' "$bin" "$state" >"$priv/$name"
	chmod 0755 "$priv/$name"
	# Real files: the suite copies ./runtimetest into each bundle with fileutils.CopyFile, which
	# would copy a symlink as a symlink.
	cp "$out/runtimetest" "$out/rootfs-amd64.tar.gz" "$work/"
	echo "runtime-tools: $name ($bin), ${#sel[@]} validations, timeout ${timeout_s}s each" >&2
	for n in "${sel[@]}"; do
		log=$results/$name/$n
		t1=$(date +%s.%N)
		(cd "$work" && RUNTIME=$priv/$name TMPDIR=$tmp timeout -k 5 "$timeout_s" "$out/$n.t" >"$log.tap" 2>"$log.err")
		rc=$?
		secs[$name,$n]=$(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		leaked[$name,$n]=$(sweep "$bin" "$state")
		# Mounts a runtime made in its caller's mount namespace (ours, private): count, detach.
		nm=0
		while IFS= read -r m; do umount -l "$m" 2>/dev/null && nm=$((nm + 1)); done \
			< <(awk -v p="$tmp/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
		mounted[$name,$n]=$nm
		rm -rf --one-file-system "${tmp:?}"/* 2>/dev/null
		ok=$(grep -Ec '^ok [0-9]+( |$)' "$log.tap"); sk=$(grep -Ec '^ok [0-9]+ # SKIP' "$log.tap")
		nok=$(grep -E '^not ok [0-9]+' "$log.tap" | grep -vc '# TODO')
		ok=$((ok - sk))
		v=PASS
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then v=TIMEOUT
		elif [ "$nok" -gt 0 ]; then v=FAIL
		elif [ "$rc" -ne 0 ]; then v=FAIL
		# Some validations (hooks, prestart, poststart_fail, ...) print no test point and report a
		# failure only as a YAML `error:` block: count that as a failure.
		elif [ $((ok + sk)) -eq 0 ] && grep -q '^  error: ' "$log.tap"; then v=FAIL
		fi
		verdict[$name,$n]=$v okc[$name,$n]=$ok notokc[$name,$n]=$nok skipc[$name,$n]=$sk
		printf '  %-34s %-7s ok=%-3s not-ok=%-3s skip=%-3s rc=%-3s %5ss%s\n' "$n" "$v" "$ok" "$nok" "$sk" "$rc" \
			"${secs[$name,$n]}" "$([ "${leaked[$name,$n]}" -gt 0 ] && echo "  (${leaked[$name,$n]} container(s) left behind, force-deleted)")$([ "${mounted[$name,$n]}" -gt 0 ] && echo "  (${mounted[$name,$n]} mount(s) left in the caller's namespace)")" >&2
	done
	rm -rf --one-file-system "$priv"
	# cgroups the suite asked for (cgroupsPath /cgrouptest, or testdir/cgrouptest/container
	# relative to the caller's cgroup) still there after this runtime's validations: rmdir them.
	# (runc removes only the leaf of a relative cgroupsPath.)
	left=()
	while IFS= read -r d; do
		[ -n "$d" ] || continue
		rmdir "$d" 2>/dev/null && left+=("${d#/sys/fs/cgroup/}") || left+=("${d#/sys/fs/cgroup/} (not empty, kept)")
	done < <(find /sys/fs/cgroup -maxdepth 8 -type d \( -name cgrouptest -o -name testdir -o -path '*/testdir/cgrouptest/container' \) \
		-newer "$runstart" 2>/dev/null | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
	[ ${#left[@]} -gt 0 ] && leftcg+=("$name left ${#left[@]} cgroup dir(s), removed: ${left[*]}")
	touch "$runstart"
done

# ---------------------------------------------------------------- (d) report
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
