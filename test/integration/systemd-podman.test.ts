/**
 * podman with cgroup_manager = "systemd" (`--cgroup-manager systemd`), tsrun beside runc, on a
 * real systemd (the test VM): the container's cgroup is the scope libpod-<id>.scope in
 * machine.slice, made by the runtime's systemd driver, with the memory limit podman asked for;
 * after `podman rm -f` no unit and no cgroup is left.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNTIMES, ROOTFS, basicPrerequisites, describe, ensureCommands, eventually, which } from './managers/common.js';
import { serialUnless, unless } from './helpers.js';
import { stopUnit, systemdMissing, unitProperty } from '../support/systemd.js';
import { Podman } from './managers/podman.js';
import { IMAGE_REF, buildImageArchive } from './managers/image.js';

function whyNot(): string | undefined {
  const bus = existsSync('/run/dbus/system_bus_socket') ? undefined : 'needs the system bus (podman talks to systemd over it)';
  return systemdMissing() ?? bus ?? basicPrerequisites() ?? ensureCommands({ podman: 'podman', conmon: 'conmon' });
}
const it = serialUnless(whyNot());

let pm: Podman | undefined;
let workDir = '';
/** machine.slice, which systemd makes for podman's first scope and keeps: stopped after if the tests made it. */
let madeMachineSlice = false;

it.before(async () => {
  madeMachineSlice = !existsSync('/sys/fs/cgroup/machine.slice');
  workDir = mkdtempSync(join(tmpdir(), 'tsrun-podman-sd-'));
  pm = await Podman.start();
  await pm.load(buildImageArchive(ROOTFS, workDir));
});

it.after.always(async () => {
  if (pm) for (const n of await pm.stop()) console.warn(`podman (systemd) clean-up: ${n}`);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (madeMachineSlice) stopUnit('machine.slice');
});

for (const rt of RUNTIMES) {
  const rtTest = unless(it, which(rt.bin) ? undefined : `${rt.bin} is not installed`);
  rtTest(`${rt.name}: podman --cgroup-manager systemd: the container is a scope in machine.slice, gone after rm`, async (t) => {
    const p = pm!;
    const name = `sd-${rt.name}-${process.pid}`;
    const sd = ['--cgroup-manager', 'systemd'];
    const r = await p.podman(rt, [...sd, 'run', '-d', '--name', name, '--pull=never', '--network=none', '--memory', String(64 << 20), IMAGE_REF, 'sleep', '1000']);
    t.is(r.code, 0, describe(r));
    const id = r.stdout.trim();
    p.track(rt, id);
    const unit = `libpod-${id}.scope`;
    t.teardown(async () => {
      await p.podman(rt, [...sd, 'rm', '-f', id]);
      stopUnit(unit);
    });
    t.is(unitProperty(unit, 'ActiveState'), 'active', `${unit}: ${describe(r)}`);
    t.is(unitProperty(unit, 'MemoryMax'), String(64 << 20));
    const dir = `/sys/fs/cgroup/machine.slice/${unit}`;
    t.is(readFileSync(`${dir}/memory.max`, 'utf8').trim(), String(64 << 20));
    const st = await p.podman(rt, [...sd, 'stats', '--no-stream', '--format', '{{.MemUsage}}', id]);
    t.is(st.code, 0, describe(st));
    t.is((await p.podman(rt, [...sd, 'pause', id])).code, 0);
    t.is(readFileSync(`${dir}/cgroup.freeze`, 'utf8').trim(), '1');
    t.is((await p.podman(rt, [...sd, 'unpause', id])).code, 0);
    const rm = await p.podman(rt, [...sd, 'rm', '-f', id]);
    t.is(rm.code, 0, describe(rm));
    t.true(await eventually(() => unitProperty(unit, 'LoadState') === 'not-found' && !existsSync(dir), 10_000), 'no unit and no cgroup left');
  });
}
