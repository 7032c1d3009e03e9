/**
 * exec: run a new process in a running (or created) container. The process is a runtime-spec
 * Process from --process, or the container's own process with the command line's changes
 * (runc's exec flags). It joins every namespace the container has apart from tsrun's, the
 * container's cgroup, and its capabilities and seccomp come from the process spec.
 */
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { IncorrectStatusError, SysError, TsrunError } from '../errors.js';
import { runExecutor } from '../executor/spawn.js';
import { SYNC_SECCOMP_STATE } from '../executor/protocol.js';
import { buildExecPlan } from '../plan/index.js';
import { namespacesToJoin } from '../sys/proc.js';
import type { SpecProcess } from '../plan/types.js';
import { loadProcess } from '../spec/index.js';
import { writePidFile, type StateStore } from '../state/store.js';
import { setChildSubreaper } from '../sys/libc.js';
import { startConsoleProxy, type ConsoleProxy } from '../console/proxy.js';
import { waitForeground } from './run.js';
import { cgroupOf } from './cgroup.js';
import { canExec, hookState, initChrooted, loadContainer, type Container } from './container.js';
import { inheritedFds } from './create.js';
import { compileSpecSeccomp, listenerState } from '../seccomp/spec-filter.js';
import { checkHostSupport, probeHostSecurity } from './host-checks.js';
import type { Spec } from '../spec/index.js';

export interface ExecOptions {
  id: string;
  /** A runtime-spec Process JSON file; otherwise `args` and the flags below. */
  processFile?: string;
  args: string[];
  tty?: boolean;
  cwd?: string;
  env?: string[];
  /** "uid" or "uid:gid". */
  user?: string;
  additionalGids?: number[];
  caps?: string[];
  noNewPrivs?: boolean;
  /** --apparmor / --process-label: LSM settings of the process. */
  apparmor?: string;
  processLabel?: string;
  /** --cgroup: sub-cgroups of the container to put the process in (runc's PATH or CTRL[,CTRL]:PATH). */
  subCgroups?: string[];
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds?: number;
  ignorePaused?: boolean;
  debug?: (msg: string) => void;
}

function checkExecStatus(c: Container, ignorePaused: boolean): void {
  if (canExec(c.status) || (c.status === 'paused' && ignorePaused)) return;
  if (c.status === 'paused') throw new IncorrectStatusError('cannot exec in a paused container (use --ignore-paused to override)');
  throw new IncorrectStatusError('cannot exec in a stopped container');
}

/** The process from the command line: the container's own, with runc's exec flags applied. */
export function processFromFlags(base: SpecProcess | undefined, o: ExecOptions): SpecProcess {
  // Not usage errors: runc reports these as exec failures (255), as anything past the container id.
  if (o.args.length === 0) throw new TsrunError('exec: a command to run is required (or --process FILE)');
  const p: SpecProcess = structuredClone(base ?? { cwd: '/', user: { uid: 0, gid: 0 } }) as SpecProcess;
  p.args = o.args;
  p.terminal = o.tty === true;
  delete p.consoleSize;
  if (o.cwd) p.cwd = o.cwd;
  if (o.env?.length) p.env = [...(p.env ?? []), ...o.env];
  if (o.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(o.user);
    if (!m) throw new TsrunError(`exec: --user must be uid[:gid], got "${o.user}"`);
    p.user = { ...(p.user ?? {}), uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : (p.user?.gid ?? 0) };
  }
  if (o.additionalGids?.length) p.user = { ...(p.user ?? { uid: 0, gid: 0 }), additionalGids: o.additionalGids };
  if (o.caps?.length) {
    const c = (p.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const) c[set] = [...new Set([...(c[set] ?? []), ...o.caps])];
  }
  if (o.noNewPrivs) p.noNewPrivileges = true;
  if (o.apparmor) p.apparmorProfile = o.apparmor;
  if (o.processLabel) p.selinuxLabel = o.processLabel;
  return p;
}

/** Returns the exit code: 0 when detached, else the process's status. */
export async function execProcess(store: StateStore, o: ExecOptions): Promise<number> {
  const c = loadContainer(store, o.id);
  checkExecStatus(c, o.ignorePaused === true);
  const proc = o.processFile ? loadProcess(o.processFile) : processFromFlags(c.rec.config.process as SpecProcess | undefined, o);
  if (proc.terminal && o.detach && !o.consoleSocket) throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket');
  if (!proc.terminal && o.consoleSocket) throw new TsrunError('cannot use console socket if tsrun will not detach or allocate tty');
  const spec = c.rec.config as unknown as Spec;
  checkHostSupport({ ...spec, process: proc }, probeHostSecurity(), o.processFile ? 'process.json' : 'exec', '');
  const fds = inheritedFds(o.preserveFds);
  if (fds.listenEnv.length) proc.env = [...(proc.env ?? []), ...fds.listenEnv];
  if (!o.detach) setChildSubreaper();
  let proxy: ConsoleProxy | undefined;
  try {
    if (proc.terminal && !o.detach) proxy = await startConsoleProxy();
    const plan = buildExecPlan(proc, {
      initPid: c.rec.pid,
      joinTypes: namespacesToJoin(c.rec.pid),
      chrootRoot: initChrooted(c.rec),
      consoleSocket: proxy?.socket ?? (o.consoleSocket ? resolve(o.consoleSocket) : undefined),
      extraFds: fds.count,
      seccomp: await compileSpecSeccomp(spec, o.debug),
    });
    for (const w of plan.warnings) o.debug?.(w);
    const pid = await runExecutor(
      { ops: plan.ops, extraFds: fds.count, nullStdio: proc.terminal === true },
      {
        onSpawn(execPid) {
          const cg = cgroupOf(c.rec);
          if (o.subCgroups?.length && cg) joinSubCgroups(cg.paths(), o.subCgroups, execPid);
          else cg?.apply(execPid);
        },
        // A filter loaded before the user switch sends its notify fd at once (SYNC_SECCOMP_STATE).
        onSync: (tag, execPid) => (tag === SYNC_SECCOMP_STATE ? listenerState(spec, hookState(c.rec, 'running'), execPid) : undefined),
        onReady(execPid) {
          if (o.pidFile) writePidFile(o.pidFile, execPid);
          return listenerState(spec, hookState(c.rec, 'running'), execPid);
        },
      },
    );
    if (o.detach) return 0;
    return await waitForeground(pid, proxy, async () => undefined);
  } finally {
    proxy?.stop();
  }
}

/**
 * runc's `exec --cgroup`: PATH for every controller, or CTRL[,CTRL]:PATH for some; the
 * sub-cgroups must exist under the container's cgroup. The other controllers get the container's.
 */
export function subCgroupTargets(paths: Record<string, string>, specs: readonly string[]): Map<string, string> {
  const out = new Map(Object.entries(paths));
  for (const spec of specs) {
    const i = spec.indexOf(':');
    const sub = i < 0 ? spec : spec.slice(i + 1);
    const ctrls = i < 0 ? Object.keys(paths) : spec.slice(0, i).split(',');
    if (!sub || sub.split('/').includes('..')) throw new TsrunError(`exec: --cgroup ${spec}: the sub-cgroup path must be relative and stay below the container's cgroup`);
    for (const c of ctrls) {
      const base = paths[c];
      if (!base) throw new TsrunError(`exec: --cgroup ${spec}: the container has no ${c} cgroup`);
      out.set(c, join(base, sub));
    }
  }
  return out;
}

function joinSubCgroups(paths: Record<string, string>, specs: readonly string[], pid: number): void {
  for (const dir of new Set(subCgroupTargets(paths, specs).values())) {
    try {
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    } catch (e) {
      throw SysError.fromNode(`exec --cgroup: join`, dir, e);
    }
  }
}
