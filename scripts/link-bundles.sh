#!/usr/bin/env bash
# link-bundles.sh ROOTFS: make every example bundle under bundles/ runnable.
#
# For each bundles/<name>/ holding a config.json, bundles/<name>/rootfs becomes a copy of ROOTFS
# made of hard links (`cp -al`: no data is copied; a plain copy when ROOTFS is on another
# filesystem), rebuilt on every run. It is not a symlink because runc refuses a rootfs reached
# through one ("invalid rootfs: not an absolute path, or a symlink", runc 1.1.5), and tsrun is a
# drop-in for runc. The data directories a bundle needs are created too (bundles/volume/data).
# Safe to run again.
set -euo pipefail

die() { echo "link-bundles: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: link-bundles.sh ROOTFS"
[ -d "$1" ] || die "$1: no such directory (build it first: make rootfs)"
[ -x "$1/bin/sh" ] || die "$1 has no bin/sh: not a rootfs"
rootfs=$(cd -- "$1" && pwd -P)

bundles=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../bundles" && pwd -P)

linked=0
for bundle in "$bundles"/*/; do
	bundle=${bundle%/}
	[ -f "$bundle/config.json" ] || continue
	target=$bundle/rootfs
	# Build beside the target, then swap, so the rootfs is never half there.
	rm -rf --one-file-system -- "$target.tmp" "$target.old"
	cp -al -- "$rootfs" "$target.tmp" 2>/dev/null || {
		rm -rf --one-file-system -- "$target.tmp"
		cp -a -- "$rootfs" "$target.tmp"
	}
	rm -f -- "$target.tmp/.done" # make's stamp for the rootfs, not part of it
	if [ -e "$target" ] || [ -L "$target" ]; then
		mv -T -- "$target" "$target.old"
	fi
	mv -T -- "$target.tmp" "$target"
	rm -rf --one-file-system -- "$target.old"
	linked=$((linked + 1))
done
[ "$linked" -gt 0 ] || die "no bundle with a config.json under $bundles"

# Data directories that bundles bind-mount (relative sources resolve against the bundle dir).
mkdir -p -- "$bundles/volume/data"

echo "link-bundles: $linked bundle(s) <- $rootfs" >&2
