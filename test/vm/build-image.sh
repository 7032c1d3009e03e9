#!/usr/bin/env bash
# Builds the test VM's boot files under build/vm/<key>/ unless they are there: a Debian 12
# (bookworm) root filesystem made by debootstrap as an ext4 image (mke2fs -d, no mount), and the
# kernel and initramfs of its own linux-image-amd64 package. <key> hashes the package list, this
# script (comments aside) and the host's node binary (copied in for ava), so a change to any of
# them builds a new image, and the older images are removed. The image only boots and hands over
# to test/vm/inside.sh from the checkout's disk, so what runs inside changes without a rebuild.
# Prints the directory on its last line.
# docs/vm.md says how the VM is put together.
set -euo pipefail
cd "$(dirname "$0")/../.."
MIRROR=${TSRUN_VM_MIRROR:-http://deb.debian.org/debian}
# What the suites need inside: systemd as PID 1 (with dbus and udev, which loads the virtio
# modules), the runtimes and clients the tests compare against, python3 and tmux for the console
# tests, libstdc++6 for the host's node binary. containernetworking-plugins: podman's common files
# need a container-network-stack, a virtual package debootstrap does not resolve. The kernel
# (linux-image-amd64) comes after, once its initramfs is configured.
packages=(systemd systemd-sysv dbus udev kmod initramfs-tools
  runc crun containerd podman conmon catatonit containernetworking-plugins busybox-static libseccomp2
  iproute2 uidmap procps python3 tmux strace util-linux e2fsprogs libstdc++6 ca-certificates)
node=$(command -v node || true)
[ -n "$node" ] || { echo "vm: build-image needs node on the host (it is copied into the image)" >&2; exit 1; }
key=$( { printf '%s\n' "${packages[@]}" "$MIRROR"; grep -v '^ *#' "$0"; sha256sum "$node"; } | sha256sum | cut -c1-16)
out=build/vm/$key
if [ -f "$out/.done" ]; then echo "$PWD/$out"; exit 0; fi

for tool in debootstrap mke2fs; do
  command -v "$tool" >/dev/null || { echo "vm: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "vm: building the image needs root (debootstrap)" >&2; exit 1; }
echo "vm: building the image $key (debootstrap bookworm, a few minutes, cached in $out)" >&2
start=$SECONDS
tmp=$out.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
# A failure leaves no half-built tree behind (debootstrap's proc/sys mounts included).
trap 'for m in proc sys dev/pts dev; do umount -l "$tmp/rootfs/$m" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
root=$tmp/rootfs
# The downloaded packages are kept (build/vm/debs) for the next image.
mkdir -p build/vm/debs
debootstrap --variant=minbase --cache-dir="$PWD/build/vm/debs" --include="$(IFS=,; echo "${packages[*]}")" bookworm "$root" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 ||
  { tail -20 "$tmp/debootstrap.log" "$root/debootstrap/debootstrap.log" >&2; echo "vm: debootstrap failed (logs above)" >&2; exit 1; }
echo "vm: debootstrap done in $((SECONDS - start)) s" >&2
# The kernel, with an initramfs of the few modules that mount the root (MODULES=most would take
# minutes to pack every driver, under debootstrap twice).
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/tsrun-vm"
printf '%s\n' virtio_pci virtio_blk ext4 >>"$root/etc/initramfs-tools/modules"
mount -t proc proc "$root/proc"
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends linux-image-amd64 >"$tmp/kernel.log" 2>&1 ||
  { tail -20 "$tmp/kernel.log" >&2; echo "vm: installing the kernel failed (log above)" >&2; exit 1; }
umount "$root/proc"
echo "vm: kernel installed at $((SECONDS - start)) s" >&2

# node and the npm beside it (npx runs ava), as the host has them.
cp "$node" "$root/usr/local/bin/node"
npm_dir=$(dirname "$(readlink -f "$node")")/../lib/node_modules/npm
if [ -d "$npm_dir" ]; then
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
fi
# The runner: once the system is up, mounts the checkout's disk (vdb) where it is on the host
# (tsrun.repo= on the kernel command line: build/engine and the bundles hold absolute paths) and
# ../shared's (vdc) beside it, runs test/vm/inside.sh from it, and powers off whatever happens.
cat >"$root/usr/local/sbin/tsrun-vm-boot" <<'BOOT'
#!/bin/bash
repo=$(sed -n 's/.* tsrun\.repo=\([^ ]*\).*/\1/p' /proc/cmdline)
out=/dev/ttyS1
stty -F "$out" raw -echo 115200 2>/dev/null
rc=1
if [ -z "$repo" ]; then echo "tsrun-vm: no tsrun.repo= on the kernel command line" >"$out"
elif ! { mkdir -p "$repo" && mount /dev/vdb "$repo"; } >"$out" 2>&1; then echo "tsrun-vm: cannot mount the checkout at $repo" >"$out"
else
  if [ -b /dev/vdc ]; then mkdir -p "$(dirname "$repo")/shared" && mount -o ro /dev/vdc "$(dirname "$repo")/shared"; fi
  bash "$repo/test/vm/inside.sh" >"$out" 2>&1 </dev/null
  rc=$?
fi
echo "tsrun-vm: exit $rc" >"$out"
sync
systemctl poweroff --force --force
BOOT
chmod 0755 "$root/usr/local/sbin/tsrun-vm-boot"
cat >"$root/etc/systemd/system/tsrun-vm.service" <<'UNIT'
[Unit]
Description=tsrun VM runner
After=basic.target dbus.socket systemd-udevd.service
[Service]
Type=simple
ExecStart=/usr/local/sbin/tsrun-vm-boot
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/tsrun-vm.service "$root/etc/systemd/system/multi-user.target.wants/tsrun-vm.service"
echo tsrun-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 tsrun-vm\n' >"$root/etc/hosts"
printf '/dev/vda / ext4 rw,noatime 0 1\n' >"$root/etc/fstab"
# Nothing starts that the runner does not ask for: the packaged daemons (the tests start their own,
# privately), gettys and timers only cost boot time under emulation.
for unit in containerd.service getty@tty1.service serial-getty@ttyS0.service serial-getty@ttyS1.service \
  apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
  podman-restart.service podman-auto-update.timer podman-clean-transient.service \
  systemd-timesyncd.service man-db.timer dpkg-db-backup.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*

cp "$root"/boot/vmlinuz-* "$tmp/vmlinuz"
cp "$root"/boot/initrd.img-* "$tmp/initrd.img"
mke2fs -q -t ext4 -L tsrun-vm -d "$root" "$tmp/rootfs.img" 3G >/dev/null
rm -rf "$root"
touch "$tmp/.done"
trap - EXIT
rm -rf "$out" && mv "$tmp" "$out"
# Older images (other keys) go: one image is kept, with debootstrap's download cache.
for old in build/vm/*/.done; do [ "$(dirname "$old")" = "$out" ] || rm -rf "$(dirname "$old")"; done
echo "vm: image built in $((SECONDS - start)) s" >&2
echo "$PWD/$out"
