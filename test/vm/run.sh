#!/usr/bin/env bash
# Boots the test VM (Debian 12, systemd as PID 1, pure cgroup v2 with every controller) and runs a
# command in it as root, in this checkout, then powers it off:
#   bash test/vm/run.sh [--timeout SECONDS] -- COMMAND [ARGS...]
# The command's output streams here (the VM's second serial port) and its exit status is this
# script's. The checkout (with its build) is copied into a disk image for the run, so the VM sees
# it at the same path and the host's copy is never written. The VM goes away on exit, failure,
# timeout or Ctrl-C, and so do its files. KVM is used when it works, TCG otherwise (it says so).
# Environment: TSRUN_VM_TIMEOUT (seconds, default 1800), TSRUN_VM_ACCEL (auto, kvm or tcg),
# TSRUN_VM_MEM (MiB, default 2048), TSRUN_VM_CPUS (default 2). docs/vm.md has the internals.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
timeout=${TSRUN_VM_TIMEOUT:-1800}
while [ $# -gt 0 ]; do
  case $1 in
    --timeout) timeout=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: test/vm/run.sh [--timeout SECONDS] -- COMMAND [ARGS...]" >&2; exit 2; }
cmd=$(printf '%q ' "$@")

# qemu and debootstrap come from Debian, installed here as the other test deps are (root only).
if ! command -v qemu-system-x86_64 >/dev/null || ! command -v debootstrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "vm: installing qemu-system-x86 and debootstrap" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 debootstrap >/dev/null 2>&1 ||
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 debootstrap >/dev/null; } || true
  fi
  command -v qemu-system-x86_64 >/dev/null || { echo "vm: cannot boot the test VM: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)" >&2; exit 1; }
  command -v debootstrap >/dev/null || { echo "vm: cannot build the test VM: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
fi

t0=$SECONDS
image=$(bash "$repo/test/vm/build-image.sh" | tail -1)
mkdir -p "$repo/build/vm"
tmp=$(mktemp -d "$repo/build/vm/run.XXXXXX")
qemu_pid=
cleanup() {
  set +e # a failed kill or wait (qemu gone, or killed: 137) must not stop the clean-up
  if [ -n "$qemu_pid" ]; then kill -9 "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null; fi
  rm -rf "$tmp"
  return 0
}
trap cleanup EXIT
trap 'echo "vm: interrupted, stopping the VM" >&2; exit 130' INT TERM

# The checkout as an ext4 image (mke2fs -d copies a tree without mounting), with room for what
# the tests write; ../shared (schemas, runtime-tools) likewise when it is there.
disk_image() { # dir image
  local mb=$(( $(du -sm "$1" | cut -f1) * 3 / 2 + 1024 ))
  mke2fs -q -t ext4 -E root_owner=0:0 -d "$1" "$2" "${mb}M" >/dev/null
}
# The checkout without build/vm (this cache and these runs), hard-linked: no data is copied twice.
stage() {
  local entry
  mkdir "$tmp/stage" "$tmp/stage/build"
  for entry in "$repo"/* "$repo"/.[!.]*; do
    [ -e "$entry" ] && [ "$entry" != "$repo/build" ] && cp -al "$entry" "$tmp/stage/"
  done
  for entry in "$repo"/build/*; do
    [ -e "$entry" ] && [ "$entry" != "$repo/build/vm" ] && cp -al "$entry" "$tmp/stage/build/"
  done
  return 0
}
echo "vm: copying the checkout into a disk image" >&2
stage
disk_image "$tmp/stage" "$tmp/checkout.img"
rm -rf "$tmp/stage"
drives=(-drive "file=$image/rootfs.img,if=virtio,format=raw,snapshot=on" -drive "file=$tmp/checkout.img,if=virtio,format=raw")
shared=$(dirname "$repo")/shared
if [ -d "$shared" ]; then
  disk_image "$shared" "$tmp/shared.img"
  drives+=(-drive "file=$tmp/shared.img,if=virtio,format=raw,readonly=on")
fi

# hugepages: pages reserved for the hugetlb tests. mitigations=off: emulation is slow enough.
append="console=ttyS0 root=/dev/vda rw systemd.unified_cgroup_hierarchy=1 hugepages=16 mitigations=off
  random.trust_cpu=on panic=-1 systemd.show_status=0 tsrun.repo=$repo tsrun.cmd=$(printf '%s' "$cmd" | base64 -w0)"
append=$(echo $append)
[ ${#append} -lt 2000 ] || { echo "vm: the command is too long for the kernel command line (${#append} bytes)" >&2; exit 2; }

# Starts qemu in the background with accelerator $1; its console goes to console.log, the
# command's output (ttyS1) to out.log.
boot() {
  local accel=$1 cpu=max
  [ "$accel" = kvm ] && cpu=host
  : >"$tmp/console.log"; : >"$tmp/out.log"
  qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp "${TSRUN_VM_CPUS:-2}" -m "${TSRUN_VM_MEM:-2048}" \
    -nodefaults -display none -no-reboot -kernel "$image/vmlinuz" -initrd "$image/initrd.img" -append "$append" \
    "${drives[@]}" -device virtio-rng-pci \
    -serial "file:$tmp/console.log" -serial "file:$tmp/out.log" >"$tmp/qemu.log" 2>&1 &
  qemu_pid=$!
}

accel=${TSRUN_VM_ACCEL:-auto}
if [ "$accel" = auto ]; then
  accel=tcg
  if [ -w /dev/kvm ]; then
    # Nested KVM can hang before the kernel prints anything: give it 20 s to say a word.
    boot kvm
    for _ in $(seq 20); do sleep 1; [ -s "$tmp/console.log" ] || ! kill -0 "$qemu_pid" 2>/dev/null && break; done
    if [ -s "$tmp/console.log" ]; then accel=kvm
    else
      echo "vm: KVM is unusable here ($(head -c 200 "$tmp/qemu.log" | tr '\n' ' ')no kernel output in 20 s): falling back to TCG" >&2
      kill -9 "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null || true; qemu_pid=
    fi
  else
    echo "vm: no usable /dev/kvm: software emulation (TCG), about 10x slower" >&2
  fi
fi
[ -n "$qemu_pid" ] || boot "$accel"
echo "vm: booting ($accel, image $(basename "$image")), up to ${timeout} s" >&2

# Streams what the command wrote since the last call, by byte offset (tail -f printed some
# chunks of the growing file twice).
shown=0
stream() {
  local size
  size=$(stat -c %s "$tmp/out.log")
  [ "$size" -gt "$shown" ] || return 0
  tail -c +"$((shown + 1))" "$tmp/out.log" | head -c "$((size - shown))"
  shown=$size
}
deadline=$((SECONDS + timeout))
started=
while kill -0 "$qemu_pid" 2>/dev/null; do
  stream
  if [ $SECONDS -ge $deadline ]; then
    echo "vm: timed out after ${timeout} s; the console's last lines:" >&2
    tail -20 "$tmp/console.log" >&2
    exit 124
  fi
  if [ -z "$started" ] && [ -s "$tmp/out.log" ]; then started=1; echo "vm: up after $((SECONDS - t0)) s" >&2; fi
  sleep 1
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
stream
rc=$(sed -n 's/^tsrun-vm: exit \([0-9]*\).*/\1/p' "$tmp/out.log" | tail -1)
if [ -z "$rc" ]; then
  echo "vm: the VM stopped without the command's exit status; qemu said: $(tr '\n' ' ' <"$tmp/qemu.log")" >&2
  echo "vm: the console's last lines:" >&2
  tail -30 "$tmp/console.log" >&2
  exit 1
fi
echo "vm: done in $((SECONDS - t0)) s, exit $rc" >&2
exit "$rc"
