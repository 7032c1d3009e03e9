/**
 * The systemd cgroup driver on a real systemd (the test VM: systemd as PID 1, pure cgroup v2),
 * tsrun beside runc: create/start/update/pause/resume/ps/events/kill/delete with
 * --systemd-cgroup, checked through `systemctl show` (the unit's properties), the scope's
 * cgroup files, and that no unit or cgroup is left after delete.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { showUnit, stopUnit, systemdMissing } from '../support/systemd.js';
import { eachRuntime, makeBundle, privateRoot, requireRootAndBuild, runRuntime, serialUnless, uniqueId, type Suite } from './helpers.js';

function systemdV2Missing(): string | undefined {
  return systemdMissing() ?? (existsSync('/sys/fs/cgroup/cgroup.controllers') ? undefined : 'needs a pure cgroup v2 host (the test VM)');
}

const suite: Suite = serialUnless(requireRootAndBuild() ?? systemdV2Missing());

const cg = (unit: string, file: string) => readFileSync(`/sys/fs/cgroup/system.slice/${unit}/${file}`, 'utf8').trim();

eachRuntime(suite, (rt, it) => {
  it(`${rt.name}: --systemd-cgroup makes a transient scope with the limits, updates it, and leaves nothing after delete`, async (t) => {
    const root = privateRoot(t);
    const id = uniqueId(`sd${rt.name}`);
    const unit = `${rt.name}-sdtest-${id}.scope`;
    const run = (...args: string[]) => runRuntime(rt.bin, root, ['--systemd-cgroup', ...args]);
    t.teardown(() => {
      spawnSync(rt.bin, ['--root', root, '--systemd-cgroup', 'delete', '--force', id], { stdio: 'ignore' });
      stopUnit(unit);
    });
    const bundle = makeBundle(t, (s) => {
      s.process.args = ['sleep', '300'];
      s.linux.cgroupsPath = `system.slice:${rt.name}-sdtest:${id}`;
      s.linux.resources = {
        memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 },
        cpu: { shares: 1024, quota: 50_000, period: 100_000, cpus: '0' },
        pids: { limit: 64 },
      };
    });
    const created = await run('create', '--bundle', bundle, id);
    t.is(created.code, 0, created.stderr);
    const p = showUnit(unit, 'ActiveState', 'Slice', 'Delegate', 'DefaultDependencies', 'MemoryMax', 'MemoryLow', 'MemorySwapMax', 'CPUWeight', 'CPUQuotaPerSecUSec', 'CPUQuotaPeriodUSec', 'TasksMax', 'AllowedCPUs', 'DevicePolicy');
    t.like(p, {
      ActiveState: 'active', Slice: 'system.slice', Delegate: 'yes', MemoryMax: String(64 << 20), MemoryLow: String(32 << 20), MemorySwapMax: String(32 << 20),
      CPUWeight: '39', CPUQuotaPerSecUSec: '500ms', CPUQuotaPeriodUSec: '100ms', TasksMax: '64', AllowedCPUs: '0', DevicePolicy: 'strict',
    });
    t.is(cg(unit, 'memory.max'), String(64 << 20));
    t.is(cg(unit, 'memory.swap.max'), String(32 << 20));
    t.is(cg(unit, 'pids.max'), '64');
    t.is(cg(unit, 'cpu.max'), '50000 100000');
    t.is(cg(unit, 'cpu.weight'), '39');
    const pid = Number(cg(unit, 'cgroup.procs').split('\n')[0]);
    t.true(pid > 0, 'the init is in the scope');
    t.is((await run('start', id)).code, 0);

    const up = await run('update', '--memory', String(128 << 20), '--memory-swap', String(256 << 20), '--pids-limit', '99', id);
    t.is(up.code, 0, up.stderr);
    t.like(showUnit(unit, 'MemoryMax', 'TasksMax'), { MemoryMax: String(128 << 20), TasksMax: '99' });
    t.is(cg(unit, 'memory.max'), String(128 << 20));
    t.is(cg(unit, 'pids.max'), '99');

    t.is((await run('pause', id)).code, 0);
    t.is(cg(unit, 'cgroup.freeze'), '1');
    t.is(JSON.parse((await runRuntime(rt.bin, root, ['state', id])).stdout).status, 'paused');
    t.is((await run('resume', id)).code, 0);
    t.is(cg(unit, 'cgroup.freeze'), '0');
    const ps = await run('ps', '--format', 'json', id);
    t.deepEqual(JSON.parse(ps.stdout), [pid]);
    const ev = await run('events', '--stats', id);
    t.is(ev.code, 0, ev.stderr);
    t.is(JSON.parse(ev.stdout).data.pids.limit, 99);

    t.is((await run('kill', id, 'KILL')).code, 0);
    for (let i = 0; i < 200 && JSON.parse((await runRuntime(rt.bin, root, ['state', id])).stdout).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 25));
    const del = await run('delete', id);
    t.is(del.code, 0, del.stderr);
    t.is(showUnit(unit, 'LoadState').LoadState, 'not-found', 'no unit is left');
    t.false(existsSync(`/sys/fs/cgroup/system.slice/${unit}`), 'no cgroup is left');
  });

  it(`${rt.name}: the default cgroupsPath is system.slice/${rt.name}-<id>.scope, and delete --force stops it`, async (t) => {
    const root = privateRoot(t);
    const id = uniqueId(`sd${rt.name}`);
    const unit = `${rt.name}-${id}.scope`;
    t.teardown(() => {
      stopUnit(unit);
    });
    const bundle = makeBundle(t, (s) => {
      s.process.args = ['sleep', '300'];
      delete s.linux.cgroupsPath;
    });
    const run = (...args: string[]) => runRuntime(rt.bin, root, ['--systemd-cgroup', ...args]);
    t.is((await run('run', '--detach', '--bundle', bundle, id)).code, 0);
    t.is(showUnit(unit, 'ActiveState').ActiveState, 'active');
    // later commands know the driver from the state (no flag)
    const del = await runRuntime(rt.bin, root, ['delete', '--force', id]);
    t.is(del.code, 0, del.stderr);
    t.is(showUnit(unit, 'LoadState').LoadState, 'not-found');
  });
});
