/**
 * Classic BPF as seccomp sees it: `struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}` in host
 * byte order (what seccomp_export_bpf writes and what seccomp(2) reads), plus a tiny assembler
 * with labels for the instructions tsrun adds itself (the -ENOSYS stub, see enosys.ts).
 */

export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const BPF_INSN_SIZE = 8;
/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

// Opcode parts (linux/filter.h, linux/bpf_common.h).
export const BPF_LD = 0x00;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_K = 0x00;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

/** Offsets in struct seccomp_data. */
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_IP = 8;
export const SECCOMP_DATA_ARGS = 16;

/**
 * Host byte order (the kernel reads sock_filter in it), probed here: node:os at import time would
 * load for every command whose bundle holds this module.
 */
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function decodeProgram(bytes: Uint8Array): BpfInsn[] {
  if (bytes.length % BPF_INSN_SIZE !== 0) {
    throw new Error(`BPF program of ${bytes.length} bytes is not a whole number of instructions`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BpfInsn[] = [];
  for (let o = 0; o < bytes.length; o += BPF_INSN_SIZE) {
    out.push({ code: dv.getUint16(o, LE), jt: dv.getUint8(o + 2), jf: dv.getUint8(o + 3), k: dv.getUint32(o + 4, LE) });
  }
  return out;
}

export function encodeProgram(insns: readonly BpfInsn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * BPF_INSN_SIZE);
  const dv = new DataView(bytes.buffer);
  insns.forEach((i, n) => {
    const o = n * BPF_INSN_SIZE;
    dv.setUint16(o, i.code, LE);
    dv.setUint8(o + 2, i.jt);
    dv.setUint8(o + 3, i.jf);
    dv.setUint32(o + 4, i.k >>> 0, LE);
  });
  return bytes;
}

// ---- a small assembler ----------------------------------------------------------------------

/** A jump target: a label name, or undefined for "the next instruction". */
export type Target = string | undefined;

export type AsmItem =
  | { label: string }
  | { op: 'ld'; offset: number }
  | { op: 'ret'; k: number }
  | { op: 'ja'; to: string }
  | { op: 'jeq' | 'jgt' | 'jge' | 'jset'; k: number; jt?: Target; jf?: Target };

const JCODE = { jeq: BPF_JEQ, jgt: BPF_JGT, jge: BPF_JGE, jset: BPF_JSET } as const;

/** Assembles items into instructions; conditional jumps must reach within 255 instructions. */
export function assemble(items: readonly AsmItem[]): BpfInsn[] {
  const labels = new Map<string, number>();
  let pc = 0;
  for (const it of items) {
    if ('label' in it) {
      if (labels.has(it.label)) throw new Error(`BPF assembler: duplicate label ${it.label}`);
      labels.set(it.label, pc);
    } else pc++;
  }
  const out: BpfInsn[] = [];
  const rel = (from: number, to: Target, cond: boolean): number => {
    if (to === undefined) return 0;
    const at = labels.get(to);
    if (at === undefined) throw new Error(`BPF assembler: unknown label ${to}`);
    const off = at - (from + 1);
    if (off < 0) throw new Error(`BPF assembler: backward jump to ${to}`);
    if (cond && off > 255) throw new Error(`BPF assembler: conditional jump to ${to} is too long (${off})`);
    return off;
  };
  for (const it of items) {
    if ('label' in it) continue;
    const here = out.length;
    switch (it.op) {
      case 'ld':
        out.push({ code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: it.offset });
        break;
      case 'ret':
        out.push({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: it.k >>> 0 });
        break;
      case 'ja':
        out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: rel(here, it.to, false) });
        break;
      default:
        out.push({
          code: BPF_JMP | JCODE[it.op] | BPF_K,
          jt: rel(here, it.jt, true),
          jf: rel(here, it.jf, true),
          k: it.k >>> 0,
        });
    }
  }
  return out;
}
