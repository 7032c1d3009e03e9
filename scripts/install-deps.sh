#!/usr/bin/env bash
# Installs the Debian packages tsrun's build and tests need, when they are missing (root only).
# Build: gcc and libc6-dev (the static executor), libseccomp2. Rootfs: busybox-static.
# Tests: runc and crun (conformance comparisons), containerd, podman, conmon (real clients),
# containernetworking-plugins (the CRI suite's loopback network), uidmap (rootless), tmux
# (terminal tests), hyperfine (benchmarks), umoci, skopeo and zstd (image interop), dbus-daemon
# (a private bus for the systemd driver's fake systemd).
set -euo pipefail
want=(gcc libc6-dev make libseccomp2 busybox-static runc crun containerd containernetworking-plugins podman conmon uidmap tmux hyperfine strace umoci skopeo zstd dbus-daemon)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
