/**
 * The container's process: session, terminal, rlimits, user and groups, capabilities,
 * no_new_privs, seccomp, the executable's lookup (a create-time error), the start gate, execve.
 */
import { ConfigError } from '../errors.js';
import { Op, SYNC_SECCOMP_STATE, type PlanOp } from '../executor/protocol.js';
import { CAPABILITIES, RLIMIT } from './linux-constants.js';
import type { CompiledFilter, PlanContext, Spec, SpecProcess } from './types.js';

/** Bit mask of a capability list; an unknown name is a config error naming it. */
export function capabilityMask(names: readonly string[] | undefined, where: string): bigint {
  let mask = 0n;
  for (const [i, name] of (names ?? []).entries()) {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name);
    if (bit < 0) throw new ConfigError(`config.json: ${where}/${i}: unknown capability "${name}"`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

const U64_MAX = 0xffffffffffffffffn;

/** setrlimit ops; `where` prefixes error paths (config.json: /process, or the --process file). */
export function rlimitOps(proc: SpecProcess, where = 'config.json: /process'): PlanOp[] {
  return (proc.rlimits ?? []).map((r, i) => {
    const resource = RLIMIT[r.type];
    if (resource === undefined) throw new ConfigError(`${where}/rlimits/${i}/type: unknown rlimit "${r.type}"`);
    const clamp = (v: number) => (BigInt(v) > U64_MAX ? U64_MAX : BigInt(v));
    return { op: Op.RLIMIT, args: { resource, soft: clamp(r.soft), hard: clamp(r.hard) }, note: r.type };
  });
}

/**
 * The ambient capabilities the kernel will let the process raise: only those also permitted and
 * inheritable. runc skips the others without a word (its own default spec lists ambient
 * capabilities without inheritable ones, and runs); tsrun skips them too, with a warning.
 */
export function raisableAmbient(caps: NonNullable<SpecProcess['capabilities']>, warnings: string[]): bigint {
  const ambient = capabilityMask(caps.ambient, '/process/capabilities/ambient');
  const ok = ambient & capabilityMask(caps.permitted, '/process/capabilities/permitted') & capabilityMask(caps.inheritable, '/process/capabilities/inheritable');
  for (const name of caps.ambient ?? []) {
    if (!(ok & capabilityMask([name], '/process/capabilities/ambient'))) warnings.push(`ambient capability ${name} not raised: it is not both permitted and inheritable`);
  }
  return ok;
}

/** The value of PATH in the process's environment, where the executable is looked up. */
export function pathOf(env: readonly string[] | undefined): string {
  const entry = [...(env ?? [])].reverse().find((e) => e.startsWith('PATH='));
  // Go's exec.LookPath (runc) sees an empty PATH when the env has none; use the usual default instead.
  return entry ? entry.slice(5) : '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
}

/** Whether env sets name (to anything, empty included). */
export function hasEnv(env: readonly string[] | undefined, name: string): boolean {
  return (env ?? []).some((e) => e.startsWith(`${name}=`));
}

/** Ops from the console up to, not including, the start gate (a config may have no process at create). */
export function processSetupOps(spec: Spec, ctx: PlanContext): PlanOp[] {
  const proc = spec.process;
  const ops: PlanOp[] = [];
  if (proc?.terminal) {
    const size = proc.consoleSize;
    ops.push({ op: Op.CONSOLE, args: { rows: size?.height ?? 0, cols: size?.width ?? 0, bindConsole: 1 }, note: 'pty from the container devpts' });
  }
  if (spec.hostname !== undefined) ops.push({ op: Op.SETHOSTNAME, args: { name: spec.hostname } });
  if (spec.domainname !== undefined) ops.push({ op: Op.SETDOMAINNAME, args: { name: spec.domainname } });
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    ops.push({ op: Op.WRITE_FILE, args: { how: 0, path: `/proc/sys/${key.replace(/\./g, '/')}`, data: value }, note: `sysctl ${key}` });
  }
  if (proc) ops.push(...rlimitOps(proc));
  return ops;
}

/**
 * The process's identity, as the init takes it: bounding set, working directory, groups and ids,
 * umask, capabilities, no_new_privs. `whileRoot` runs after the first chdir, before the user switch.
 */
export function identityOps(proc: SpecProcess, warnings: string[], whileRoot: readonly PlanOp[] = []): PlanOp[] {
  const caps = proc.capabilities ?? {};
  const user = proc.user ?? { uid: 0, gid: 0 };
  // As runc: first while privileged (a cwd only root can enter), again as the user if that was denied.
  const cwd = proc.cwd ?? '/';
  const ops: PlanOp[] = [
    { op: Op.CAPS_BOUNDING, args: { mask: capabilityMask(caps.bounding, '/process/capabilities/bounding') } },
    { op: Op.CHDIR_PRIVILEGED, args: { path: cwd } },
    ...whileRoot,
    { op: Op.SETGROUPS, args: { gids: [...(user.additionalGids ?? [])] } },
    { op: Op.SETRESGID, args: { gid: user.gid ?? 0 } },
    { op: Op.SETRESUID, args: { uid: user.uid ?? 0 } },
    { op: Op.CHDIR, args: { path: cwd }, note: 'as the user, unless entered already' },
  ];
  if (user.umask !== undefined) ops.push({ op: Op.UMASK, args: { mask: user.umask } });
  ops.push({
    op: Op.CAPSET,
    args: {
      effective: capabilityMask(caps.effective, '/process/capabilities/effective'),
      permitted: capabilityMask(caps.permitted, '/process/capabilities/permitted'),
      inheritable: capabilityMask(caps.inheritable, '/process/capabilities/inheritable'),
    },
  });
  ops.push({ op: Op.CAPS_AMBIENT, args: { mask: raisableAmbient(caps, warnings) } });
  if (proc.noNewPrivileges) ops.push({ op: Op.NO_NEW_PRIVS, args: {} });
  return ops;
}

/**
 * Loading a seccomp filter, then handing its notify fd to the listener at once, before any other
 * syscall it may notify (runc's parent sends it before the init goes on): nobody answers those until then.
 */
export function filterOps(filter: CompiledFilter, note?: string): PlanOp[] {
  return [
    { op: Op.SECCOMP, args: { flags: filter.flags, program: filter.program }, ...(note ? { note } : {}) },
    ...(filter.listenerPath ? [{ op: Op.SECCOMP_NOTIFY_SEND, args: {}, note: 'seccomp notify fd to the listener' }] : []),
  ];
}

/** User, groups, capabilities and the rest of the process's credentials, then the exec lookup. */
export function credentialOps(proc: SpecProcess, ctx: PlanContext, warnings: string[] = []): { beforeGate: PlanOp[]; afterGate: PlanOp[] } {
  const user = proc.user ?? { uid: 0, gid: 0 };
  const beforeGate: PlanOp[] = [];
  const afterGate: PlanOp[] = [];
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN in the effective set: load it while
  // still root, before the user switch clears the effective capabilities (runc: before finalizeNamespace).
  // The listener's state comes with SYNC_ACK then: GO comes after syscalls the filter may notify.
  if (ctx.seccomp && !proc.noNewPrivileges) {
    if (ctx.seccomp.listenerPath) beforeGate.push({ op: Op.SYNC, args: { tag: SYNC_SECCOMP_STATE }, note: 'the seccomp listener state, before the filter' });
    beforeGate.push(...filterOps(ctx.seccomp));
  }
  // As runc: the process user owns its terminal or pipes, or it could not reopen them (tty, /proc/self/fd/1).
  const whileRoot: PlanOp[] = [{ op: Op.STDIO_OWNER, args: { uid: user.uid ?? 0 } }];
  // As runc: HOME from the container's /etc/passwd when the env has none, looked up while still root.
  if (!hasEnv(proc.env, 'HOME')) whileRoot.push({ op: Op.PASSWD_HOME, args: { uid: user.uid ?? 0 }, note: 'HOME from /etc/passwd' });
  beforeGate.push(...identityOps(proc, warnings, whileRoot));
  const args = proc.args ?? [];
  if (args.length === 0) throw new ConfigError('config.json: /process/args: must have at least one element');
  // LSM labels take effect at execve; tsrun checked the module is enabled (host-checks.ts).
  if (proc.apparmorProfile) beforeGate.push({ op: Op.WRITE_FILE, args: { how: 0, path: '/proc/self/attr/apparmor/exec', data: `exec ${proc.apparmorProfile}` }, note: 'AppArmor profile' });
  if (proc.selinuxLabel) beforeGate.push({ op: Op.WRITE_FILE, args: { how: 0, path: '/proc/self/attr/exec', data: proc.selinuxLabel }, note: 'SELinux label' });
  beforeGate.push({ op: Op.RESOLVE_EXEC, args: { arg0: args[0]!, path: pathOf(proc.env) }, note: 'a missing binary fails create, not start' });
  // With no_new_privs the filter goes last, so it needs to allow nothing but execve; the
  // listener's state came with GO.
  if (ctx.seccomp && proc.noNewPrivileges) afterGate.push(...filterOps(ctx.seccomp));
  afterGate.push({ op: Op.EXECVE, args: { argv: args, envp: proc.env ?? [] } });
  return { beforeGate, afterGate };
}
