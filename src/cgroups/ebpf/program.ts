/**
 * Builds the BPF_PROG_TYPE_CGROUP_DEVICE program for a device rule list, like runc's
 * devicefilter and crun's ebpf.c: the rules are first reduced by the v1 emulator to a default
 * policy plus exceptions, then each exception becomes one block that returns its verdict when
 * the request matches, and the program ends with the default verdict.
 *
 *   r2 = ctx->access_type & 0xffff   (device type)
 *   r3 = ctx->access_type >> 16      (requested access)
 *   r4 = ctx->major; r5 = ctx->minor
 *   per exception:
 *     if r2 != type goto next
 *     allow exception (white-list): if (r3 & access) != r3 goto next   (all requested bits covered)
 *     deny exception (black-list):  if (r3 & access) == 0  goto next   (any requested bit denied)
 *     if r4 != major goto next  (unless any)
 *     if r5 != minor goto next  (unless any)
 *     r0 = verdict; exit
 *   r0 = default verdict; exit
 *
 * The allow test equals the kernel's v1 white-list check and the deny test its black-list
 * check, so a v2 container sees the same decisions a v1 one does.
 */
import { DeviceEmulator, type DeviceRule } from '../devices-rules.js';
import {
  BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR,
  and32Imm, encode, exit, jeqImm, jneImm, jneReg, ldxW, mov32Imm, mov32Reg, rsh32Imm, type Insn,
} from './insn.js';

export const DEVICE_FILTER_LICENSE = 'Apache';

export function accessBits(access: string): number {
  let bits = 0;
  if (access.includes('r')) bits |= BPF_DEVCG_ACC_READ;
  if (access.includes('w')) bits |= BPF_DEVCG_ACC_WRITE;
  if (access.includes('m')) bits |= BPF_DEVCG_ACC_MKNOD;
  return bits;
}

const ALL = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

export interface DeviceFilter {
  insns: Insn[];
  /** the program as bytes, 8 per instruction */
  bytes: Buffer;
  defaultAllow: boolean;
}

export function buildDeviceFilter(rules: DeviceRule[]): DeviceFilter {
  const emu = DeviceEmulator.of(rules);
  const insns: Insn[] = [ldxW(2, 1, 0), and32Imm(2, 0xffff), ldxW(3, 1, 0), rsh32Imm(3, 16), ldxW(4, 1, 4), ldxW(5, 1, 8)];
  const allow = !emu.defaultAllow;
  for (const e of emu.sortedExceptions()) {
    const block: Array<Insn | ((next: number) => Insn)> = [];
    const type = e.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
    block.push((off) => jneImm(2, type, off));
    const bits = accessBits(e.access);
    if (bits !== ALL) {
      block.push(mov32Reg(1, 3), and32Imm(1, bits));
      block.push(allow ? (off) => jneReg(1, 3, off) : (off) => jeqImm(1, 0, off));
    }
    if (e.major >= 0) block.push((off) => jneImm(4, e.major, off));
    if (e.minor >= 0) block.push((off) => jneImm(5, e.minor, off));
    block.push(mov32Imm(0, allow ? 1 : 0), exit());
    // A jump at block index i lands on the first instruction after the block.
    block.forEach((item, i) => insns.push(typeof item === 'function' ? item(block.length - i - 1) : item));
  }
  insns.push(mov32Imm(0, emu.defaultAllow ? 1 : 0), exit());
  return { insns, bytes: encode(insns), defaultAllow: emu.defaultAllow };
}
