/**
 * The few eBPF instructions a device filter needs, encoded as the kernel reads them:
 * struct bpf_insn { u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm; } (little endian).
 */

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// instruction classes
export const BPF_LDX = 0x01;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
// sizes / modes
export const BPF_W = 0x00;
export const BPF_MEM = 0x60;
// ALU / JMP operations
export const BPF_AND = 0x50;
export const BPF_RSH = 0x70;
export const BPF_MOV = 0xb0;
export const BPF_JEQ = 0x10;
export const BPF_JNE = 0x50;
export const BPF_EXIT = 0x90;
// operand source
export const BPF_K = 0x00;
export const BPF_X = 0x08;

/** struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } */
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;

export const ldxW = (dst: number, src: number, off: number): Insn => ({ code: BPF_LDX | BPF_MEM | BPF_W, dst, src, off, imm: 0 });
export const and32Imm = (dst: number, imm: number): Insn => ({ code: BPF_ALU | BPF_AND | BPF_K, dst, src: 0, off: 0, imm });
export const rsh32Imm = (dst: number, imm: number): Insn => ({ code: BPF_ALU | BPF_RSH | BPF_K, dst, src: 0, off: 0, imm });
export const mov32Imm = (dst: number, imm: number): Insn => ({ code: BPF_ALU | BPF_MOV | BPF_K, dst, src: 0, off: 0, imm });
export const mov32Reg = (dst: number, src: number): Insn => ({ code: BPF_ALU | BPF_MOV | BPF_X, dst, src, off: 0, imm: 0 });
export const jneImm = (dst: number, imm: number, off: number): Insn => ({ code: BPF_JMP | BPF_JNE | BPF_K, dst, src: 0, off, imm });
export const jeqImm = (dst: number, imm: number, off: number): Insn => ({ code: BPF_JMP | BPF_JEQ | BPF_K, dst, src: 0, off, imm });
export const jneReg = (dst: number, src: number, off: number): Insn => ({ code: BPF_JMP | BPF_JNE | BPF_X, dst, src, off, imm: 0 });
export const exit = (): Insn => ({ code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 });

export function encode(insns: Insn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((i, n) => {
    b.writeUInt8(i.code, n * 8);
    b.writeUInt8(((i.src & 0xf) << 4) | (i.dst & 0xf), n * 8 + 1);
    b.writeInt16LE(i.off, n * 8 + 2);
    b.writeInt32LE(i.imm | 0, n * 8 + 4);
  });
  return b;
}

export function decode(buf: Buffer): Insn[] {
  const out: Insn[] = [];
  for (let p = 0; p + 8 <= buf.length; p += 8) {
    const regs = buf.readUInt8(p + 1);
    out.push({ code: buf.readUInt8(p), dst: regs & 0xf, src: regs >> 4, off: buf.readInt16LE(p + 2), imm: buf.readInt32LE(p + 4) });
  }
  return out;
}
