/**
 * A small classic-BPF interpreter for seccomp programs, written for the tests: it runs a program
 * over a struct seccomp_data and returns the SECCOMP_RET_* value, so tests can prove what a
 * compiled filter decides without loading it. It implements what the kernel's seccomp checker
 * accepts (32-bit absolute loads from seccomp_data, scratch memory, ALU, jumps, returns) and
 * throws on anything else, on out-of-range loads and on running off the end.
 */
import test, { type ExecutionContext } from 'ava';
import os from 'node:os';

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
export const X32_SYSCALL_BIT = 0x40000000;

/** x86_64 syscall numbers used by the tests. */
export const NR = {
  read: 0,
  write: 1,
  open: 2,
  close: 3,
  mmap: 9,
  ioctl: 16,
  getpid: 39,
  socket: 41,
  clone: 56,
  fork: 57,
  execve: 59,
  exit: 60,
  kill: 62,
  uname: 63,
  mkdir: 83,
  ptrace: 101,
  getuid: 102,
  syslog: 103,
  setuid: 105,
  personality: 135,
  chroot: 161,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  reboot: 169,
  sethostname: 170,
  iopl: 172,
  init_module: 175,
  clock_settime: 227,
  exit_group: 231,
  unshare: 272,
  kexec_load: 246,
  keyctl: 250,
  open_by_handle_at: 304,
  setns: 308,
  process_vm_readv: 310,
  kcmp: 312,
  bpf: 321,
  userfaultfd: 323,
  clone3: 435,
  fchmodat2: 452,
} as const;

/** i386 syscall numbers used by the tests. */
export const NR_I386 = { read: 3, write: 4, mount: 21, settimeofday: 79, socketcall: 102, clock_settime: 264 } as const;

export interface SeccompData {
  nr: number;
  arch: number;
  ip?: bigint;
  args?: readonly (number | bigint)[];
}

const SECCOMP_DATA_SIZE = 64;
const LE = os.endianness() === 'LE';

function seccompData(d: SeccompData): DataView {
  const dv = new DataView(new ArrayBuffer(SECCOMP_DATA_SIZE));
  dv.setInt32(0, d.nr | 0, LE);
  dv.setUint32(4, d.arch >>> 0, LE);
  dv.setBigUint64(8, d.ip ?? 0n, LE);
  (d.args ?? []).forEach((a, i) => dv.setBigUint64(16 + 8 * i, BigInt.asUintN(64, BigInt(a)), LE));
  return dv;
}

/** Runs `program` (raw struct sock_filter[] bytes, host order) over `data`; returns the u32 result. */
export function runFilter(program: Uint8Array, data: SeccompData): number {
  if (program.length === 0 || program.length % 8 !== 0) throw new Error(`bad program length ${program.length}`);
  const prog = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const n = program.length / 8;
  const mem = new Uint32Array(16);
  const d = seccompData(data);
  let A = 0;
  let X = 0;
  for (let pc = 0; pc < n; pc++) {
    const o = pc * 8;
    const code = prog.getUint16(o, LE);
    const jt = prog.getUint8(o + 2);
    const jf = prog.getUint8(o + 3);
    const k = prog.getUint32(o + 4, LE);
    const cls = code & 0x07;
    switch (cls) {
      case 0x00: // LD
      case 0x01: {
        // LDX
        const size = code & 0x18;
        const mode = code & 0xe0;
        let v: number;
        if (size !== 0x00) throw new Error(`pc ${pc}: only 32-bit loads are valid in seccomp (code 0x${code.toString(16)})`);
        if (mode === 0x00) v = k; // IMM
        else if (mode === 0x20 && cls === 0x00) {
          // ABS
          if (k % 4 !== 0 || k + 4 > SECCOMP_DATA_SIZE) throw new Error(`pc ${pc}: load outside seccomp_data (${k})`);
          v = d.getUint32(k, LE);
        } else if (mode === 0x60) {
          if (k >= 16) throw new Error(`pc ${pc}: bad scratch slot ${k}`);
          v = mem[k]!;
        } else if (mode === 0x80) v = SECCOMP_DATA_SIZE; // LEN
        else throw new Error(`pc ${pc}: unsupported load mode 0x${code.toString(16)}`);
        if (cls === 0x00) A = v >>> 0;
        else X = v >>> 0;
        break;
      }
      case 0x02: // ST
      case 0x03: // STX
        if (k >= 16) throw new Error(`pc ${pc}: bad scratch slot ${k}`);
        mem[k] = cls === 0x02 ? A : X;
        break;
      case 0x04: {
        // ALU
        const src = code & 0x08 ? X : k;
        switch (code & 0xf0) {
          case 0x00: A = (A + src) >>> 0; break;
          case 0x10: A = (A - src) >>> 0; break;
          case 0x20: A = Math.imul(A, src) >>> 0; break;
          case 0x30: if (src === 0) return 0; A = Math.floor(A / src) >>> 0; break;
          case 0x40: A = (A | src) >>> 0; break;
          case 0x50: A = (A & src) >>> 0; break;
          case 0x60: A = src >= 32 ? 0 : (A << src) >>> 0; break;
          case 0x70: A = src >= 32 ? 0 : A >>> src; break;
          case 0x80: A = -A >>> 0; break;
          case 0x90: if (src === 0) return 0; A = (A % src) >>> 0; break;
          case 0xa0: A = (A ^ src) >>> 0; break;
          default: throw new Error(`pc ${pc}: bad ALU op 0x${code.toString(16)}`);
        }
        break;
      }
      case 0x05: {
        // JMP
        const op = code & 0xf0;
        if (op === 0x00) {
          pc += k;
          break;
        }
        const src = (code & 0x08 ? X : k) >>> 0;
        let cond: boolean;
        if (op === 0x10) cond = A === src;
        else if (op === 0x20) cond = A > src;
        else if (op === 0x30) cond = A >= src;
        else if (op === 0x40) cond = (A & src) !== 0;
        else throw new Error(`pc ${pc}: bad jump 0x${code.toString(16)}`);
        pc += cond ? jt : jf;
        break;
      }
      case 0x06: // RET
        return ((code & 0x18) === 0x10 ? A : k) >>> 0;
      case 0x07: // MISC
        if ((code & 0xf8) === 0x00) X = A;
        else if ((code & 0xf8) === 0x80) A = X;
        else throw new Error(`pc ${pc}: bad misc op 0x${code.toString(16)}`);
        break;
    }
  }
  throw new Error('ran off the end of the program');
}

export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0,
  TRAP: 0x00030000,
  ERRNO: (e: number) => (0x00050000 | (e & 0xffff)) >>> 0,
  TRACE: (e: number) => (0x7ff00000 | (e & 0xffff)) >>> 0,
  NOTIFY: 0x7fc00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/**
 * Registers a test that needs an x86_64 host (its syscall numbers are x86_64's, checked against
 * this host's libseccomp); elsewhere it is registered as skipped, with the reason in its title.
 */
export function x64Test(title: string, fn: (t: ExecutionContext) => void): void {
  if (process.arch === 'x64') test(title, fn);
  else test.skip(`${title} (skipped: needs an x86_64 host, this is ${process.arch})`, fn);
}

/** x86_64 helper: the decision for syscall `nr` with `args`. */
export function x64(program: Uint8Array, nr: number, ...args: (number | bigint)[]): number {
  return runFilter(program, { nr, arch: AUDIT_ARCH_X86_64, args });
}
