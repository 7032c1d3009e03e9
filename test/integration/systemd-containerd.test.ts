/**
 * containerd with the systemd cgroup driver (the runc shim's SystemdCgroup = true, which `ctr run
 * --runc-systemd-cgroup` sets), tsrun beside runc, on a real systemd (the test VM): the task's
 * cgroup is a transient scope, `ctr task metrics` reads it, pause/resume freeze it, and after
 * kill and delete no unit and no cgroup is left.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNTIMES, ROOTFS, basicPrerequisites, describe, ensureCommands, eventually, which } from './managers/common.js';
import { serialUnless, unless } from './helpers.js';
import { stopUnit, systemdMissing, unitProperty } from '../support/systemd.js';
import { Containerd } from './managers/containerd.js';
import { IMAGE_REF, buildImageArchive } from './managers/image.js';

function whyNot(): string | undefined {
  return systemdMissing() ?? basicPrerequisites() ?? ensureCommands({ containerd: 'containerd', ctr: 'containerd', 'containerd-shim-runc-v2': 'containerd' });
}
const it = serialUnless(whyNot());

let ctd: Containerd | undefined;
let workDir = '';
let archive = '';

it.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'tsrun-ctd-sd-'));
  archive = buildImageArchive(ROOTFS, workDir);
  ctd = await Containerd.start();
});

it.after.always(async () => {
  if (ctd) for (const n of await ctd.stop()) console.warn(`containerd (systemd) clean-up: ${n}`);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

for (const rt of RUNTIMES) {
  const rtTest = unless(it, which(rt.bin) ? undefined : `${rt.bin} is not installed`);
  rtTest(`${rt.name}: ctr run --runc-systemd-cgroup: a scope per task, metrics, pause, and nothing left after delete`, async (t) => {
    const c = ctd!;
    const ns = `tsrun-sd-${process.pid}-${rt.name}`;
    await c.importImage(ns, archive);
    const id = `sd-${rt.name}`;
    const unit = `ctd-${rt.name}-${id}.scope`;
    t.teardown(async () => {
      if ((await c.containerIds(ns)).includes(id)) await c.remove(ns, id);
      stopUnit(unit);
    });
    const r = await c.ctr(ns, ['run', '-d', '--runc-systemd-cgroup', '--cgroup', `system.slice:ctd-${rt.name}:${id}`, '--memory-limit', String(64 << 20), ...c.runFlags(rt), IMAGE_REF, id, 'sleep', '1000']);
    t.is(r.code, 0, describe(r));
    t.true(await eventually(async () => (await c.taskStatus(ns, id)) === 'RUNNING', 15_000), 'task RUNNING');
    t.is(unitProperty(unit, 'ActiveState'), 'active');
    t.is(unitProperty(unit, 'MemoryMax'), String(64 << 20));
    const dir = `/sys/fs/cgroup/system.slice/${unit}`;
    t.is(readFileSync(`${dir}/memory.max`, 'utf8').trim(), String(64 << 20));
    const pid = await c.taskPid(ns, id);
    t.true(readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/system.slice/${unit}`), 'the task is in the scope');
    const m = await c.ctr(ns, ['task', 'metrics', id]);
    t.is(m.code, 0, describe(m));
    t.regex(m.stdout, /memory/i, describe(m));
    t.is((await c.ctr(ns, ['task', 'pause', id])).code, 0);
    t.is(readFileSync(`${dir}/cgroup.freeze`, 'utf8').trim(), '1');
    t.is((await c.ctr(ns, ['task', 'resume', id])).code, 0);
    t.is((await c.ctr(ns, ['task', 'kill', '-a', '-s', 'SIGKILL', id])).code, 0);
    t.true(await eventually(async () => (await c.taskStatus(ns, id)) === 'STOPPED', 15_000), 'task STOPPED');
    t.is((await c.ctr(ns, ['task', 'delete', id])).code, 0);
    t.is((await c.ctr(ns, ['containers', 'rm', id])).code, 0);
    t.true(await eventually(() => unitProperty(unit, 'LoadState') === 'not-found' && !existsSync(dir), 10_000), 'no unit and no cgroup left');
  });
}
