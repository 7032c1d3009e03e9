#!/usr/bin/env bash
# Runs inside the test VM (started by the image's tsrun-vm.service, output on ttyS1): says what
# the VM offers, then runs the command test/vm/run.sh passed (tsrun.cmd= on the kernel command
# line, base64) as root in the checkout. Its exit status is the VM's.
set -uo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
cmd=$(sed -n 's/.* tsrun\.cmd=\([^ ]*\).*/\1/p' /proc/cmdline | base64 -d)
echo "vm: up in $(cut -d' ' -f1 /proc/uptime) s: kernel $(uname -r), $(nproc) cpus, systemd $(systemctl --version | head -1 | cut -d' ' -f2), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "vm: running: $cmd"
eval "$cmd"
