import { resolve } from 'node:path';
import { resolveRootfs } from '../lifecycle/create.js';
import { buildCreatePlan, describePlan } from '../plan/index.js';
import { loadSpec } from '../spec/index.js';
import type { TsrunCommand } from './command.js';
import { writeOut } from '../sys/fdio.js';
import { euid } from '../state/root.js';

export default {
  command: 'plan',
  describe: 'print the ops `create` would run for a bundle, without running anything',
  builder: (y) =>
    y
      .option('bundle', { alias: 'b', type: 'string', describe: 'path to the bundle (default: current directory)' })
      .option('no-pivot', { type: 'boolean' })
      .option('console-socket', { type: 'string' }),
  run(a, ctx) {
    const bundle = resolve(a.bundle ?? '.');
    const spec = loadSpec(bundle);
    const plan = buildCreatePlan(spec, {
      rootfs: resolveRootfs(spec, bundle),
      bundle,
      fifoPath: `${ctx.store.root}/<id>/exec.fifo`,
      consoleSocket: a['console-socket'],
      noPivot: a['no-pivot'],
      chrootMount: `${ctx.store.root}/.chroot/<id>`,
      sessionKeyring: '<id>',
      extraFds: 0,
      privileged: euid() === 0,
    });
    writeOut(describePlan(plan) + '\n');
  },
} satisfies TsrunCommand<{ bundle?: string; 'no-pivot'?: boolean; 'console-socket'?: string }>;
