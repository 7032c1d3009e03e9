/**
 * The -ENOSYS stub runc prepends to every filter whose default action is not permissive
 * (runc libcontainer/seccomp/patchbpf): a syscall whose number is above the highest syscall the
 * profile names (per architecture) fails with ENOSYS instead of the default action (usually
 * EPERM). A profile written before a syscall existed then makes that syscall look "not
 * implemented", and libc falls back to the older one (clone3 -> clone, fchmodat2 -> fchmodat,
 * ...), exactly as on an older kernel; EPERM would make the call fail outright.
 *
 * Same rules as runc, written independently:
 * - only the architectures the profile lists are covered;
 * - no stub when the default action is ALLOW, LOG or TRACE, or is ERRNO(ENOSYS) already;
 * - x86_64 and x32 share AUDIT_ARCH_X86_64 and differ in bit 30 of the syscall number;
 * - on s390/s390x, syscall 0 multiplexes unknown "large" syscalls and gets ENOSYS too.
 */
import { assemble, type AsmItem, type BpfInsn, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR } from './bpf.js';
import { ARCHES, ENOSYS, SCMP_ACT_ERRNO_BASE, X32_SYSCALL_BIT, type SeccompArchName } from './names.js';

/** Highest syscall number the profile names, per listed architecture (libseccomp numbering). */
export type ArchMaxima = ReadonlyMap<SeccompArchName, number>;

interface Section {
  auditArch: number;
  /** Max for the architecture's plain ABI (or x86_64 without the x32 bit). */
  plain?: number;
  /** x32 max (numbers carry X32_SYSCALL_BIT); only on AUDIT_ARCH_X86_64. */
  x32?: number;
  multiplexZero: boolean;
}

/** The stub's instructions; they fall through (via `ja`) to whatever program follows them. */
export function enosysStub(maxima: ArchMaxima): BpfInsn[] {
  const sections = new Map<number, Section>();
  for (const [name, max] of maxima) {
    if (!(max > 0)) continue; // no syscall known for this arch: leave it to the filter
    const info = ARCHES[name];
    const s = sections.get(info.auditArch) ?? { auditArch: info.auditArch, multiplexZero: false };
    if (name === 'SCMP_ARCH_X32') s.x32 = max;
    else s.plain = max;
    if (name === 'SCMP_ARCH_S390' || name === 'SCMP_ARCH_S390X') s.multiplexZero = true;
    sections.set(info.auditArch, s);
  }
  if (sections.size === 0) return [];
  const ordered = [...sections.values()].sort((a, b) => a.auditArch - b.auditArch);
  const retEnosys = (SCMP_ACT_ERRNO_BASE | ENOSYS) >>> 0;

  const items: AsmItem[] = [{ op: 'ld', offset: SECCOMP_DATA_ARCH }];
  for (const s of ordered) items.push({ op: 'jeq', k: s.auditArch, jt: `arch_${s.auditArch}` });
  items.push({ op: 'ja', to: 'filter' });
  for (const s of ordered) {
    const l = `arch_${s.auditArch}`;
    items.push({ label: l }, { op: 'ld', offset: SECCOMP_DATA_NR });
    if (s.multiplexZero) items.push({ op: 'jeq', k: 0, jt: 'enosys' });
    if (s.auditArch === ARCHES.SCMP_ARCH_X86_64.auditArch) {
      // Bit 30 set: an x32 syscall; clear: x86_64. Only the ABIs the profile lists are checked.
      items.push({ op: 'jset', k: X32_SYSCALL_BIT, jt: `${l}_x32` });
      if (s.plain !== undefined) items.push({ op: 'jgt', k: s.plain, jt: 'enosys' });
      items.push({ op: 'ja', to: 'filter' }, { label: `${l}_x32` });
      if (s.x32 !== undefined) items.push({ op: 'jgt', k: s.x32, jt: 'enosys' });
    } else if (s.plain !== undefined) {
      items.push({ op: 'jgt', k: s.plain, jt: 'enosys' });
    }
    items.push({ op: 'ja', to: 'filter' });
  }
  items.push({ label: 'enosys' }, { op: 'ret', k: retEnosys }, { label: 'filter' });
  return assemble(items);
}
