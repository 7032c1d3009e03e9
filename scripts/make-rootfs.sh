#!/usr/bin/env bash
# make-rootfs.sh DIR: build a minimal busybox root filesystem in DIR from Debian's busybox-static.
#
# Layout: bin/busybox plus a relative symlink in bin/ for every applet `busybox --list` prints,
# sbin -> bin, usr/bin -> ../bin, usr/sbin -> ../bin (so every PATH entry finds every applet),
# /etc/{passwd,group,hostname,hosts,resolv.conf}, empty /proc /sys /dev /root /home, /tmp (1777).
# The tree is built in DIR.tmp and renamed into place, so DIR is either the old tree or the new
# one, never half of one. Running it again rebuilds DIR the same way (idempotent).
set -euo pipefail

die() { echo "make-rootfs: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: make-rootfs.sh DIR"
dir=${1%/}
[ -n "$dir" ] && [ "$dir" != / ] || die "refusing to build into '/'"
busybox=${BUSYBOX:-/bin/busybox}

# The static busybox binary comes from Debian's busybox-static (the dynamic `busybox` package
# would need a libc in the rootfs). Install it when it is missing and we may.
if [ ! -x "$busybox" ]; then
	[ "$(id -u)" -eq 0 ] || die "$busybox is missing: install busybox-static (apt-get install busybox-static) as root"
	command -v apt-get >/dev/null || die "$busybox is missing and there is no apt-get to install busybox-static"
	echo "make-rootfs: installing busybox-static" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q busybox-static >&2 || { apt-get update -q >&2 && apt-get install -y -q busybox-static >&2; } ||
		die "apt-get install busybox-static failed"
	[ -x "$busybox" ] || die "busybox-static is installed but $busybox is not there"
fi
# A dynamically linked busybox would not run inside the rootfs: say so now, not at `create`.
if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
	die "$busybox is not statically linked (install busybox-static, or set BUSYBOX=/path/to/static/busybox)"
fi

tmp=$dir.tmp
old=$dir.old
# --one-file-system: never descend into something a crashed container left mounted here.
rm -rf --one-file-system -- "$tmp" "$old"
mkdir -p -- "$tmp"

mkdir -p "$tmp"/{bin,dev,etc,home,proc,root,sys,tmp,usr,var}
chmod 0755 "$tmp" "$tmp"/{bin,dev,etc,home,proc,sys,usr,var}
chmod 0700 "$tmp/root"
chmod 1777 "$tmp/tmp"
ln -s bin "$tmp/sbin"
ln -s ../bin "$tmp/usr/bin"
ln -s ../bin "$tmp/usr/sbin"
mkdir -p "$tmp/var/tmp" && chmod 1777 "$tmp/var/tmp"

install -m 0755 "$busybox" "$tmp/bin/busybox"
n=0
while IFS= read -r applet; do
	# Applet names are plain words ("[", "[[", "sh" ...); skip anything that is not, and busybox itself.
	case $applet in "" | busybox | */* | .*) continue ;; esac
	ln -s busybox "$tmp/bin/$applet"
	n=$((n + 1))
done < <("$tmp/bin/busybox" --list)
[ "$n" -gt 0 ] || die "busybox --list printed no applets"
[ -L "$tmp/bin/sh" ] || die "busybox has no sh applet"

cat >"$tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$tmp/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
# Runtimes and their callers bind-mount over these; they only need to exist.
: >"$tmp/etc/hostname"
: >"$tmp/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$tmp/etc/hosts"
chmod 0644 "$tmp"/etc/{passwd,group,hostname,hosts,resolv.conf}

# Swap the new tree in: at every moment DIR is a whole tree (or absent on the first run).
if [ -e "$dir" ] || [ -L "$dir" ]; then
	mv -T -- "$dir" "$old"
fi
mv -T -- "$tmp" "$dir"
rm -rf --one-file-system -- "$old"
echo "make-rootfs: $dir: busybox $("$dir/bin/busybox" 2>&1 | head -n1 | awk '{print $2}'), $n applets" >&2
