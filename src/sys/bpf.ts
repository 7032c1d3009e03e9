/**
 * bpf(2) through koffi (libc's syscall(SYS_bpf = 321 on x86_64)), for the cgroup v2 device
 * filter: load a BPF_PROG_TYPE_CGROUP_DEVICE program, attach it to a cgroup directory fd, list
 * and detach what is attached. koffi is loaded on first use only.
 */
import { loadKoffi } from './koffi.js';
import { closeSync } from 'node:fs';
import { SysError, describeCode } from '../errors.js';

export const SYS_bpf_x86_64 = 321;
export const SYS_bpf_aarch64 = 280;

export const BPF_PROG_LOAD = 5;
export const BPF_PROG_ATTACH = 8;
export const BPF_PROG_DETACH = 9;
export const BPF_PROG_GET_FD_BY_ID = 13;
export const BPF_PROG_QUERY = 16;

export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_OVERRIDE = 1;
export const BPF_F_ALLOW_MULTI = 2;

const ATTR_SIZE = 128;

/** The part of koffi this file uses (typed here: `view` is missing from koffi's own typings). */
interface Koffi {
  load(path: string): { func(decl: string): (...args: unknown[]) => number | bigint };
  alloc(type: string, n: number): unknown;
  free(p: unknown): void;
  address(p: unknown): bigint;
  view(p: unknown, len: number): ArrayBuffer;
  errno(): number;
  os: { errno: Record<string, number> };
}

let k: { koffi: Koffi; syscall: (...args: unknown[]) => number | bigint; names: Map<number, string> } | undefined;

function ffi() {
  if (k) return k;
  const koffi = loadKoffi() as unknown as Koffi;
  const lib = koffi.load('libc.so.6');
  const names = new Map<number, string>();
  for (const [name, num] of Object.entries(koffi.os.errno)) if (!names.has(num)) names.set(num, name);
  k = { koffi, syscall: lib.func('long syscall(long number, ...)'), names };
  return k;
}

function sysBpfNumber(): number {
  return process.arch === 'arm64' ? SYS_bpf_aarch64 : SYS_bpf_x86_64;
}

export class BpfError extends SysError {
  override name = 'BpfError';
  constructor(op: string, errno: string, readonly log?: string) {
    super(op, undefined, errno, `${describeCode(errno)}${log ? `: ${log.trim().split('\n').slice(-3).join('; ')}` : ''}`);
  }
}

/** bpf(cmd, attr, sizeof attr); returns the result or throws naming the command and errno. */
export function bpf(cmd: number, attr: Buffer, what: string): number {
  const { syscall, koffi, names } = ffi();
  const r = Number(syscall(sysBpfNumber(), 'int', cmd, 'void *', attr, 'uint', attr.length));
  if (r < 0) {
    const e = koffi.errno();
    throw new BpfError(`bpf(${what})`, names.get(e) ?? `errno ${e}`);
  }
  return r;
}

/** Native memory that does not move while the kernel reads it; freed by the caller. */
function pinned(bytes: Buffer): { ptr: unknown; addr: bigint } {
  const { koffi } = ffi();
  const ptr = koffi.alloc('uint8_t', Math.max(bytes.length, 1));
  new Uint8Array(koffi.view(ptr, bytes.length)).set(bytes);
  return { ptr, addr: koffi.address(ptr) };
}

/** Loads a program; returns its fd. On rejection the verifier's log is part of the error. */
export function progLoad(progType: number, insns: Buffer, license: string, name = ''): number {
  const { koffi } = ffi();
  const code = pinned(insns);
  const lic = pinned(Buffer.from(license + '\0'));
  const logSize = 1 << 16;
  const log = pinned(Buffer.alloc(logSize));
  try {
    const attr = (withLog: boolean) => {
      const a = Buffer.alloc(ATTR_SIZE);
      a.writeUInt32LE(progType, 0);
      a.writeUInt32LE(insns.length / 8, 4);
      a.writeBigUInt64LE(code.addr, 8);
      a.writeBigUInt64LE(lic.addr, 16);
      if (withLog) {
        a.writeUInt32LE(1, 24); // log_level
        a.writeUInt32LE(logSize, 28);
        a.writeBigUInt64LE(log.addr, 32);
      }
      a.write(name.slice(0, 15), 48, 'latin1'); // prog_name[16]
      return a;
    };
    try {
      return bpf(BPF_PROG_LOAD, attr(false), 'BPF_PROG_LOAD');
    } catch (err) {
      if (!(err instanceof BpfError) || err.errno === 'EPERM') throw err;
      try {
        return bpf(BPF_PROG_LOAD, attr(true), 'BPF_PROG_LOAD');
      } catch (err2) {
        if (!(err2 instanceof BpfError)) throw err2;
        const text = Buffer.from(koffi.view(log.ptr, logSize)).toString('latin1');
        throw new BpfError('bpf(BPF_PROG_LOAD)', String(err2.errno), text.slice(0, text.indexOf('\0')));
      }
    }
  } finally {
    koffi.free(code.ptr);
    koffi.free(lic.ptr);
    koffi.free(log.ptr);
  }
}

export function progAttach(targetFd: number, progFd: number, attachType: number, flags: number): void {
  const a = Buffer.alloc(ATTR_SIZE);
  a.writeUInt32LE(targetFd, 0);
  a.writeUInt32LE(progFd, 4);
  a.writeUInt32LE(attachType, 8);
  a.writeUInt32LE(flags, 12);
  bpf(BPF_PROG_ATTACH, a, 'BPF_PROG_ATTACH');
}

export function progDetach(targetFd: number, progFd: number, attachType: number): void {
  const a = Buffer.alloc(ATTR_SIZE);
  a.writeUInt32LE(targetFd, 0);
  a.writeUInt32LE(progFd, 4);
  a.writeUInt32LE(attachType, 8);
  bpf(BPF_PROG_DETACH, a, 'BPF_PROG_DETACH');
}

/** The ids of the programs attached directly to the cgroup, and the attach flags. */
export function progQuery(targetFd: number, attachType: number): { ids: number[]; attachFlags: number } {
  const { koffi } = ffi();
  const max = 64;
  const ids = pinned(Buffer.alloc(max * 4));
  try {
    const a = Buffer.alloc(ATTR_SIZE);
    a.writeUInt32LE(targetFd, 0);
    a.writeUInt32LE(attachType, 4);
    a.writeBigUInt64LE(ids.addr, 16);
    a.writeUInt32LE(max, 24);
    bpf(BPF_PROG_QUERY, a, 'BPF_PROG_QUERY');
    const cnt = Math.min(a.readUInt32LE(24), max);
    const view = Buffer.from(koffi.view(ids.ptr, max * 4));
    return { ids: Array.from({ length: cnt }, (_v, i) => view.readUInt32LE(i * 4)), attachFlags: a.readUInt32LE(12) };
  } finally {
    koffi.free(ids.ptr);
  }
}

export function progGetFdById(id: number): number {
  const a = Buffer.alloc(ATTR_SIZE);
  a.writeUInt32LE(id, 0);
  return bpf(BPF_PROG_GET_FD_BY_ID, a, 'BPF_PROG_GET_FD_BY_ID');
}

export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}
