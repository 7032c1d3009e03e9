import { readUpdateRequest, updateContainer, type UpdateFlags } from '../lifecycle/update.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';

type Args = UpdateFlags & { id?: string; resources?: string };

/** runc's flags; each takes a string (sizes like 64m, -1 for unlimited). */
const FLAGS: Array<[keyof UpdateFlags, string, string?]> = [
  ['memory', 'memory limit (in bytes, or with a suffix: 64m, 1g; -1 unlimited)'],
  ['memory-reservation', 'memory soft limit'],
  ['memory-swap', 'memory plus swap limit (-1 unlimited)'],
  ['kernel-memory', 'kernel memory limit (deprecated)'],
  ['kernel-memory-tcp', 'kernel TCP buffer limit (deprecated)'],
  ['cpu-share', 'CPU shares (relative weight)', 'cpu-shares'],
  ['cpu-period', 'CPU CFS period (microseconds)'],
  ['cpu-quota', 'CPU CFS quota (microseconds per period, -1 none)'],
  ['cpu-burst', 'CPU CFS burst (microseconds)'],
  ['cpu-rt-period', 'CPU realtime period (microseconds)'],
  ['cpu-rt-runtime', 'CPU realtime runtime (microseconds)'],
  ['cpu-idle', 'cgroup v2 cpu.idle (0 or 1)'],
  ['cpuset-cpus', 'CPUs allowed (like 0-3,5)'],
  ['cpuset-mems', 'memory nodes allowed (like 0-1)'],
  ['pids-limit', 'maximum number of processes (-1 unlimited)'],
  ['blkio-weight', 'block IO weight (10-1000)'],
  ['l3-cache-schema', 'Intel RDT L3 cache schema (not supported)'],
  ['mem-bw-schema', 'Intel RDT memory bandwidth schema (not supported)'],
];

export default {
  command: 'update [id]',
  describe: 'change the resource limits of a running container: update [--resources FILE|-] [flags] ID',
  builder: (y) => {
    let b = idPositional(y).option('resources', {
      alias: 'r',
      type: 'string',
      describe: "LinuxResources JSON file, or '-' for stdin; the flags below override its fields",
    });
    for (const [name, describe, alias] of FLAGS) b = b.option(name, { type: 'string', describe, ...(alias ? { alias } : {}) });
    return b;
  },
  async run(a, ctx) {
    const id = checkContainerId(a.id);
    await updateContainer(ctx.store, id, readUpdateRequest(a.resources, a));
  },
} satisfies TsrunCommand<Args>;
