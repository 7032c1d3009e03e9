#!/usr/bin/env bash
# crun-wrapper.sh [crun arguments...]: run crun where it accepts this host's cgroup layout.
#
# crun 1.8.1 refuses a "hybrid" cgroup host (v1 controllers under /sys/fs/cgroup/* plus a cgroup2
# mount at /sys/fs/cgroup/unified): "cgroups in hybrid mode not supported, drop all controllers
# from cgroupv2". This wrapper runs crun in a private mount namespace in which
# /sys/fs/cgroup/unified is unmounted, so crun sees a plain cgroup v1 host. Only the wrapper's
# own mount namespace changes; the host keeps its mounts.
#
# Use it as the runtime command, e.g.
#   node dist/conformance/run.js --runtime crun="bash conformance/crun-wrapper.sh" ...
# CRUN overrides the binary (default: crun on PATH, else /usr/bin/crun).
set -euo pipefail

crun=${CRUN:-$(command -v crun || echo /usr/bin/crun)}
unified=/sys/fs/cgroup/unified

# Not a hybrid host (pure v1 or pure v2): nothing to hide.
# mountinfo: field 5 is the mount point; the field after " - " is the filesystem type.
if ! awk -v mp="$unified" '$5 == mp { for (i = 6; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") found = 1; break } }
	END { exit !found }' /proc/self/mountinfo; then
	exec "$crun" "$@"
fi

# unshare -m makes every mount private in the new namespace (util-linux's default propagation),
# so the umount below cannot propagate back to the host. `exec` keeps crun's pid, exit status and
# stdio exactly as the caller gave them (the container inherits create's stdio).
exec unshare --mount --propagation private -- \
	/bin/sh -c 'umount -l "$1" || { echo "crun-wrapper: cannot unmount $1" >&2; exit 125; }; shift; exec "$@"' \
	crun-wrapper "$unified" "$crun" "$@"
