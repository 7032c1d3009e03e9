/**
 * Pods through containerd 1.6's CRI plugin (test/cri/harness.ts), every case on tsrun and on runc
 * (runtime handlers of the same daemon): sandboxes and shared namespaces, host namespaces,
 * ExecSync, exit reasons and OOMKilled, CRI logs, resource updates and stats, stop with a grace
 * period, a second container in a pod, the securityContext, and a teardown that leaves nothing.
 * A failed CRI call names itself and the runtime's last log.json error (CriClient).
 */
import type { ExecutionContext } from 'ava';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { RUNTIMES, type Runtime, cgroupDirs, eventually, run, which } from '../integration/managers/common.js';
import { serialUnless, unless } from '../integration/helpers.js';
import { CriHarness, type Pod, type PodOptions, cgroupFileOf, criPrerequisites, mountsOf, nsOf, podLeftovers, procStatus } from './harness.js';

const it = serialUnless(criPrerequisites());
let h: CriHarness | undefined;

it.before(async () => {
  h = await CriHarness.start();
});

it.after.always(async () => {
  if (h) for (const n of await h.stop()) console.warn(`cri suite clean-up: ${n}`);
});

const SLEEP = ['sh', '-c', 'trap "exit 0" TERM; sleep 100000 & wait'];

/** A pod for this test, removed at teardown whatever happened (with the runtime's errors on failure). */
async function pod(t: ExecutionContext, rt: Runtime, name: string, opts: PodOptions = {}): Promise<Pod> {
  const p = await h!.runPod(rt, name, opts);
  t.teardown(async () => {
    if (!t.passed) t.log(h!.lastErrors());
    await p.remove().catch((e) => console.warn(`teardown of ${t.title}: ${(e as Error).message}`));
  });
  return p;
}

/** Whether bit `cap` is set in a /proc/<pid>/status capability mask. */
const hasCap = (mask: string, cap: number) => ((BigInt(`0x${mask}`) >> BigInt(cap)) & 1n) === 1n;
/** What the kubelet sends for procMount Default (k8s pkg/securitycontext: moby's defaults). */
const KUBELET_MASKED = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
const KUBELET_READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
const CAP = { CHOWN: 0, NET_ADMIN: 12, NET_RAW: 13, SYS_TIME: 25 };

for (const rt of RUNTIMES) {
  const rtIt = unless(it, which(rt.bin) ? undefined : `${rt.bin} is not installed`);
  const title = (s: string) => `${rt.name}: ${s}`;

  rtIt(title('RunPodSandbox: hostname, DNS, labels; containers join the pause net/ipc/uts namespaces, pid=POD sees pause'), async (t) => {
    const p = await pod(t, rt, 'ns', {
      hostname: 'tsrun-pod', labels: { app: 'tsrun-cri' },
      dns: { servers: ['10.0.0.10'], searches: ['svc.tsrun.local'], options: ['ndots:5'] },
    });
    const { status, info } = await p.sandboxStatus();
    t.is(status.state, 'SANDBOX_READY');
    t.is(status.labels.app, 'tsrun-cri');
    t.is(status.runtime_handler, rt.name);
    t.is(status.network.ip, '127.0.0.1', 'the loopback network answered with its fixed address');
    const pause = info.pid as number;
    t.true(pause > 0 && existsSync(`/proc/${pause}`), `pause pid ${pause}`);
    // RunPodSandbox may return before the init has exec'd /pause (runc's start only signals it).
    const cmdline = () => readFileSync(`/proc/${pause}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    t.true(await eventually(() => cmdline() === '/pause', 5000), `pause runs /pause: ${cmdline()}`);

    const c = await p.start('app', { command: SLEEP });
    const pid = await p.pid(c);
    for (const kind of ['net', 'ipc', 'uts']) t.is(nsOf(pid, kind), nsOf(pause, kind), `${kind} namespace is the pause's`);
    t.not(nsOf(pid, 'pid'), nsOf(pause, 'pid'), 'pid=CONTAINER: its own pid namespace');
    t.not(nsOf(pid, 'mnt'), nsOf(pause, 'mnt'), 'its own mount namespace');
    t.is((await p.exec(c, ['hostname'])).stdout.trim(), 'tsrun-pod');
    const resolv = (await p.exec(c, ['cat', '/etc/resolv.conf'])).stdout;
    t.regex(resolv, /nameserver 10\.0\.0\.10/);
    t.regex(resolv, /search svc\.tsrun\.local/);
    t.regex(resolv, /options ndots:5/);
    t.is((await p.exec(c, ['ip', '-o', 'link'])).stdout.split('\n').filter(Boolean).length, 1, 'only lo in the pod');

    const shared = await p.start('shared', { command: SLEEP, namespaces: { pid: 'POD' } });
    t.is(nsOf(await p.pid(shared), 'pid'), nsOf(pause, 'pid'), 'pid=POD: the pause pid namespace');
    const ps = await p.exec(shared, ['cat', '/proc/1/cmdline']);
    t.is(ps.stdout.replace(/\0/g, ' ').trim(), '/pause', 'pid=POD sees pause as PID 1');
  });

  rtIt(title('hostNetwork/hostPID/hostIPC pods share the node namespaces'), async (t) => {
    const node = { network: 'NODE', pid: 'NODE', ipc: 'NODE' };
    const p = await pod(t, rt, 'host', { namespaces: node });
    const c = await p.start('app', { command: SLEEP, namespaces: node });
    const pid = await p.pid(c);
    for (const kind of ['net', 'pid', 'ipc']) t.is(nsOf(pid, kind), nsOf('self', kind), `${kind} namespace is the node's`);
    t.not(nsOf(pid, 'mnt'), nsOf('self', 'mnt'));
    const seen = await p.exec(c, ['sh', '-c', `test -d /proc/${process.pid} && echo sees-host-pid`]);
    t.is(seen.stdout.trim(), 'sees-host-pid');
  });

  rtIt(title('ExecSync: stdout, stderr, exit code; a timeout ends the command'), async (t) => {
    const p = await pod(t, rt, 'exec');
    const c = await p.start('app', { command: SLEEP });
    const r = await p.exec(c, ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
    t.deepEqual(r, { stdout: 'to-out\n', stderr: 'to-err\n', exit_code: 3 });
    const started = Date.now();
    const e = await t.throwsAsync(p.exec(c, ['sleep', '30'], 1));
    t.regex(e!.message, /CRI ExecSync failed: .*time/i);
    t.true(Date.now() - started < 20_000, 'the timeout ended the call');
    t.true(await eventually(async () => !(await p.exec(c, ['ps'])).stdout.includes('sleep 30'), 10_000), 'the timed-out command is gone');
  });

  rtIt(title('ContainerStatus: exit code and reason (Completed, Error, OOMKilled under a memory limit)'), async (t) => {
    const p = await pod(t, rt, 'status');
    const ok = await p.exited(await p.start('ok', { command: ['true'] }));
    t.is(ok.exit_code, 0);
    t.is(ok.reason, 'Completed');
    // Both set; not compared: containerd 1.6 may stamp a fast exit before it stamps the start (runc too).
    t.true(ok.started_at > 0 && ok.finished_at > 0);
    const bad = await p.exited(await p.start('bad', { command: ['sh', '-c', 'exit 5'] }));
    t.is(bad.exit_code, 5);
    t.is(bad.reason, 'Error');
    const oom = await p.exited(await p.start('oom', {
      command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'],
      resources: { memory_limit_in_bytes: 32 * 1024 * 1024 },
    }));
    t.is(oom.reason, 'OOMKilled', JSON.stringify(oom));
    t.is(oom.exit_code, 137);
  });

  rtIt(title('CRI log file: stdout and stderr lines in CRI format; ReopenContainerLog starts a new file'), async (t) => {
    const p = await pod(t, rt, 'logs');
    const c = await p.start('app', {
      command: ['sh', '-c', 'echo out-1; echo err-1 >&2; while :; do if [ -e /tmp/go ]; then rm /tmp/go; echo out-2; fi; sleep 0.1; done'],
    });
    const log = p.logPath('app');
    const read = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    t.true(await eventually(() => read().includes('err-1') && read().includes('out-1'), 10_000), read());
    const lines = read().split('\n').filter(Boolean);
    for (const l of lines) t.regex(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) (stdout|stderr) F .*$/, `CRI log line: ${l}`);
    t.true(lines.some((l) => / stdout F out-1$/.test(l)));
    t.true(lines.some((l) => / stderr F err-1$/.test(l)));
    renameSync(log, `${log}.1`);
    await h!.cri.call('ReopenContainerLog', { container_id: c });
    t.true(existsSync(log), 'ReopenContainerLog made a new file');
    await p.exec(c, ['touch', '/tmp/go']);
    t.true(await eventually(() => / stdout F out-2\n/.test(read()), 10_000), `new log: ${read()}`);
    t.false(readFileSync(`${log}.1`, 'utf8').includes('out-2'), 'the rotated file got nothing more');
  });

  rtIt(title('UpdateContainerResources: memory and cpu reach the cgroup; ContainerStats/ListContainerStats report'), async (t) => {
    const p = await pod(t, rt, 'res');
    const c = await p.start('app', {
      command: ['sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 100000'],
      resources: { memory_limit_in_bytes: 64 << 20, cpu_period: 100_000, cpu_quota: 50_000, cpu_shares: 256 },
    });
    const pid = await p.pid(c);
    const mem = () => readFileSync(cgroupFileOf(pid, 'memory', 'memory.limit_in_bytes', 'memory.max'), 'utf8').trim();
    const quota = () => readFileSync(cgroupFileOf(pid, 'cpu', 'cpu.cfs_quota_us', 'cpu.max'), 'utf8').trim().split(' ')[0];
    t.is(mem(), String(64 << 20));
    t.is(quota(), '50000');
    await h!.cri.call('UpdateContainerResources', {
      container_id: c, linux: { memory_limit_in_bytes: 128 << 20, cpu_period: 100_000, cpu_quota: 20_000, cpu_shares: 512 },
    });
    t.is(mem(), String(128 << 20), 'memory limit updated');
    t.is(quota(), '20000', 'cpu quota updated');

    await eventually(async () => (await h!.cri.call('ContainerStats', { container_id: c })).stats.cpu?.usage_core_nano_seconds?.value > 0, 10_000);
    const { stats } = await h!.cri.call('ContainerStats', { container_id: c });
    t.is(stats.attributes.id, c);
    t.true(stats.cpu.usage_core_nano_seconds.value > 0, 'cpu usage');
    t.true(stats.memory.working_set_bytes.value > 0, 'memory working set');
    const list = await h!.cri.call('ListContainerStats', { filter: { pod_sandbox_id: p.id } });
    t.deepEqual(list.stats.map((s: any) => s.attributes.id), [c]);
  });

  rtIt(title('StopContainer with a timeout SIGKILLs a process that ignores SIGTERM'), async (t) => {
    const p = await pod(t, rt, 'stop');
    const c = await p.start('app', { command: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'] });
    const started = Date.now();
    await h!.cri.call('StopContainer', { container_id: c, timeout: 2 });
    const took = Date.now() - started;
    const st = await p.status(c);
    t.is(st.state, 'CONTAINER_EXITED');
    t.is(st.exit_code, 137, 'killed by SIGKILL');
    t.true(took >= 1900, `the grace period was waited out (${took} ms)`);
  });

  rtIt(title('a second container starts in the same pod after the first exited'), async (t) => {
    const p = await pod(t, rt, 'restart');
    const first = await p.start('app', { command: ['sh', '-c', 'echo first'] });
    t.is((await p.exited(first)).exit_code, 0);
    await h!.cri.call('RemoveContainer', { container_id: first });
    const second = await p.start('app', { command: SLEEP, attempt: 1 });
    const { info } = await p.sandboxStatus();
    t.is(nsOf(await p.pid(second), 'net'), nsOf(info.pid, 'net'));
    t.is((await p.exec(second, ['echo', 'second'])).stdout, 'second\n');
    t.regex(readFileSync(p.logPath('app', 0), 'utf8'), / stdout F first\n/);
  });

  rtIt(title('securityContext: runAsUser/runAsGroup/supplementalGroups, readOnlyRootFilesystem'), async (t) => {
    const p = await pod(t, rt, 'user');
    const c = await p.start('app', {
      command: SLEEP,
      security: { run_as_user: { value: 1234 }, run_as_group: { value: 2345 }, supplemental_groups: [3456, 4567], readonly_rootfs: true },
    });
    const pid = await p.pid(c);
    t.is(procStatus(pid, 'Uid').split(/\s+/)[0], '1234');
    t.is(procStatus(pid, 'Gid').split(/\s+/)[0], '2345');
    const groups = procStatus(pid, 'Groups').split(/\s+/);
    t.true(groups.includes('3456') && groups.includes('4567'), `Groups: ${groups}`);
    const w = await p.exec(c, ['touch', '/newfile']);
    t.not(w.exit_code, 0);
    t.regex(w.stderr, /Read-only file system/);
    t.is(mountsOf(pid).find((m) => m.point === '/')!.options.split(',')[0], 'ro');
  });

  rtIt(title('securityContext: capabilities add/drop, seccomp RuntimeDefault and Unconfined'), async (t) => {
    const p = await pod(t, rt, 'caps');
    const c = await p.start('app', {
      command: SLEEP,
      security: { capabilities: { add_capabilities: ['NET_ADMIN', 'SYS_TIME'], drop_capabilities: ['CHOWN', 'NET_RAW'] }, seccomp: { profile_type: 'RuntimeDefault' } },
    });
    const pid = await p.pid(c);
    const eff = procStatus(pid, 'CapEff');
    t.true(hasCap(eff, CAP.NET_ADMIN) && hasCap(eff, CAP.SYS_TIME), `added: CapEff ${eff}`);
    t.false(hasCap(eff, CAP.CHOWN) || hasCap(eff, CAP.NET_RAW), `dropped: CapEff ${eff}`);
    t.false(hasCap(procStatus(pid, 'CapBnd'), CAP.CHOWN), 'dropped from the bounding set');
    t.is(procStatus(pid, 'Seccomp'), '2', 'RuntimeDefault: a seccomp filter');
    const ch = await p.exec(c, ['chown', '1:1', '/tmp']);
    t.not(ch.exit_code, 0, 'chown without CAP_CHOWN fails');
    const open = await p.start('open', { command: SLEEP, security: { seccomp: { profile_type: 'Unconfined' } } });
    t.is(procStatus(await p.pid(open), 'Seccomp'), '0', 'Unconfined: no filter');
  });

  rtIt(title('securityContext: privileged gets every capability, no seccomp, the host devices, rw /sys'), async (t) => {
    const p = await pod(t, rt, 'priv', { privileged: true });
    const c = await p.start('app', { command: SLEEP, security: { privileged: true } });
    const pid = await p.pid(c);
    t.is(procStatus(pid, 'CapEff'), procStatus(process.pid, 'CapBnd'), 'every capability the host allows');
    t.is(procStatus(pid, 'Seccomp'), '0');
    t.is(mountsOf(pid).find((m) => m.point === '/sys')!.options.split(',')[0], 'rw');
    const hostDev = ['/dev/kmsg', '/dev/loop-control', '/dev/mem'].find((d) => existsSync(d));
    if (hostDev) t.is((await p.exec(c, ['test', '-e', hostDev])).exit_code, 0, `${hostDev} is there`);
    const plain = await p.start('plain', { command: SLEEP });
    t.is(mountsOf(await p.pid(plain)).find((m) => m.point === '/sys')!.options.split(',')[0], 'ro', 'an unprivileged container in it: ro /sys');
  });

  rtIt(title('namespaced sysctls of the pod reach its containers'), async (t) => {
    const host = () => readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim();
    const before = host();
    const p = await pod(t, rt, 'sysctl', { sysctls: { 'kernel.shm_rmid_forced': '1', 'net.ipv4.ip_unprivileged_port_start': '80' } });
    const c = await p.start('app', { command: SLEEP });
    t.is((await p.exec(c, ['cat', '/proc/sys/kernel/shm_rmid_forced'])).stdout.trim(), '1');
    t.is((await p.exec(c, ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'])).stdout.trim(), '80');
    t.is(host(), before, 'the host keeps its own value');
  });

  rtIt(title('masked and read-only paths: procMount Default (the kubelet\'s lists) and Unmasked (none)'), async (t) => {
    const p = await pod(t, rt, 'masked');
    // The kernel's /proc varies (no /proc/kcore without CONFIG_PROC_KCORE): the runtimes skip what is absent.
    const masks = KUBELET_MASKED.filter((path) => existsSync(path));
    const readonly = KUBELET_READONLY.filter((path) => existsSync(path));
    t.true(masks.includes('/proc/keys') && readonly.includes('/proc/sys'), `this host has ${masks} and ${readonly}`);
    const at = (pid: number, point: string) => mountsOf(pid).filter((m) => m.point === point);
    const c = await p.start('default', { command: SLEEP, security: { masked_paths: KUBELET_MASKED, readonly_paths: KUBELET_READONLY } });
    const pid = await p.pid(c);
    for (const path of masks) t.true(at(pid, path).length > 0, `${path} masked`);
    for (const path of readonly) t.true(at(pid, path).some((m) => m.options.startsWith('ro')), `${path} read-only`);
    t.is((await p.exec(c, ['cat', '/proc/keys'])).stdout, '', 'a masked file reads empty');
    t.not((await p.exec(c, ['sh', '-c', 'echo 0 > /proc/sys/kernel/shm_rmid_forced'])).exit_code, 0, 'a read-only path refuses writes');
    // Unmasked: the kubelet sends empty lists, and containerd passes none to the runtime.
    const unmasked = await p.pid(await p.start('unmasked', { command: SLEEP, security: { masked_paths: [], readonly_paths: [] } }));
    for (const path of [...masks, ...readonly]) t.is(at(unmasked, path).length, 0, `${path} as the kernel shows it`);
  });

  rtIt(title('hostPath volumes: read-only, and propagation host-to-container and bidirectional'), async (t) => {
    const p = await pod(t, rt, 'vol', { privileged: true });
    const daemon = h!.ctd.mountNsPid!;
    const inDaemon = (cmd: string) => run('nsenter', ['-t', String(daemon), '-m', 'sh', '-c', cmd]);
    const dir = join(h!.work, `vol-${rt.name}`);
    for (const d of ['ro', 'slave', 'shared']) mkdirSync(join(dir, d), { recursive: true });
    // containerd runs in a private mount namespace: make the volumes shared mounts there, as a node's are.
    const mk = await inDaemon(`for d in slave shared; do mount --bind ${dir}/$d ${dir}/$d && mount --make-shared ${dir}/$d; done`);
    t.is(mk.code, 0, mk.stderr);
    t.teardown(() => inDaemon(`umount -R ${dir}/slave ${dir}/shared`).then(() => undefined));
    const c = await p.start('app', {
      command: SLEEP,
      security: { privileged: true },
      mounts: [
        { container_path: '/ro', host_path: join(dir, 'ro'), readonly: true },
        { container_path: '/slave', host_path: join(dir, 'slave'), propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
        { container_path: '/shared', host_path: join(dir, 'shared'), propagation: 'PROPAGATION_BIDIRECTIONAL' },
      ],
    });
    const pid = await p.pid(c);
    t.not((await p.exec(c, ['touch', '/ro/x'])).exit_code, 0, 'read-only volume');
    t.is((await inDaemon(`mkdir -p ${dir}/slave/sub && mount -t tmpfs tsrun-cri-h2c ${dir}/slave/sub`)).code, 0);
    t.true(await eventually(() => mountsOf(pid).some((m) => m.point === '/slave/sub'), 5000), 'a host mount reached the container');
    const m = await p.exec(c, ['sh', '-c', 'mkdir -p /shared/sub && mount -t tmpfs tsrun-cri-bidi /shared/sub']);
    t.is(m.exit_code, 0, m.stderr);
    t.true(mountsOf(daemon).some((x) => x.point === join(dir, 'shared', 'sub')), 'the container\'s mount reached the host');
    t.false(mountsOf(daemon).some((x) => x.point === '/slave/sub' || x.point === '/shared/sub'), 'nothing else leaked');
  });

  rtIt(title('a pod the runtime refuses: the error names the CRI call and the runtime\'s reason'), async (t) => {
    // vm.swappiness is no namespace's: the runtime refuses to set it for one container.
    const e = await t.throwsAsync(h!.runPod(rt, 'refused', { sysctls: { 'vm.swappiness': '10' } }));
    t.regex(e!.message, /^CRI RunPodSandbox failed: .*/);
    t.regex(e!.message, /swappiness/);
    t.regex(e!.message, /runtime's last log\.json error/);
  });

  rtIt(title('StopPodSandbox + RemovePodSandbox leave no cgroup, mount, state dir, netns or process'), async (t) => {
    const p = await h!.runPod(rt, 'teardown');
    const ids = [p.id, await p.start('a', { command: SLEEP }), await p.start('b', { command: SLEEP, namespaces: { pid: 'POD' } })];
    const { info } = await p.sandboxStatus();
    const pids = [info.pid, await p.pid(ids[1]), await p.pid(ids[2])];
    const netns: string | undefined = info.runtimeSpec?.linux?.namespaces?.find((n: any) => n.type === 'network')?.path;
    t.truthy(netns, 'the sandbox has a network namespace path');
    for (const id of ids) t.true(existsSync(h!.stateDir(rt, id)), `${rt.name} holds ${id.slice(0, 12)}`);
    t.true(cgroupDirs(p.cgroupParent).length > 0, 'the pod cgroup exists');
    try {
      await p.remove();
    } finally {
      if (!t.passed) t.log(h!.lastErrors());
    }
    let left: string[] = [];
    await eventually(() => (left = podLeftovers(p, ids, pids, netns)).length === 0, 10_000, 200);
    t.deepEqual(left, []);
  });
}
