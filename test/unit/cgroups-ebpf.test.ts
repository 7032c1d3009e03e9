import test from 'ava';
import { buildDeviceFilter, containerDeviceRules, DeviceEmulator, type DeviceRule } from '../../src/cgroups/index.js';
import { decode, type Insn } from '../../src/cgroups/ebpf/insn.js';

const ACC = { m: 1, r: 2, w: 4 } as const;

/** A tiny eBPF interpreter for the instructions the generator emits, on a bpf_cgroup_dev_ctx. */
function run(prog: Buffer | Insn[], type: 'c' | 'b', major: number, minor: number, access: string): boolean {
  const insns = Buffer.isBuffer(prog) ? decode(prog) : prog;
  const ctx = Buffer.alloc(12);
  let acc = 0;
  for (const ch of access) acc |= ACC[ch as keyof typeof ACC];
  ctx.writeUInt32LE(((acc << 16) | (type === 'c' ? 2 : 1)) >>> 0, 0);
  ctx.writeUInt32LE(major, 4);
  ctx.writeUInt32LE(minor, 8);
  const CTX = Symbol('ctx');
  const r: Array<number | typeof CTX> = new Array(11).fill(0);
  r[1] = CTX;
  const num = (i: number) => {
    const v = r[i];
    if (typeof v !== 'number') throw new Error(`r${i} is a pointer`);
    return v;
  };
  for (let pc = 0, steps = 0; pc < insns.length; pc++) {
    if (++steps > 10000) throw new Error('loop');
    const i = insns[pc]!;
    switch (i.code) {
      case 0x61: // ldxw dst = *(u32 *)(src + off)
        if (r[i.src] !== CTX || i.off < 0 || i.off > 8 || i.off % 4) throw new Error(`bad load at ${pc}`);
        r[i.dst] = ctx.readUInt32LE(i.off);
        break;
      case 0x54: r[i.dst] = (num(i.dst) & i.imm) >>> 0; break;
      case 0x74: r[i.dst] = num(i.dst) >>> i.imm; break;
      case 0xb4: r[i.dst] = i.imm >>> 0; break;
      case 0xbc: r[i.dst] = num(i.src) >>> 0; break;
      case 0x55: if (num(i.dst) !== i.imm) pc += i.off; break;
      case 0x15: if (num(i.dst) === i.imm) pc += i.off; break;
      case 0x5d: if (num(i.dst) !== num(i.src)) pc += i.off; break;
      case 0x95: return num(0) === 1;
      default: throw new Error(`unknown opcode 0x${i.code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end');
}

const rule = (allow: boolean, type: DeviceRule['type'], major: number, minor: number, access: string): DeviceRule =>
  ({ allow, type, major, minor, access });

test('the program bytes for deny-all + c 1:3 rwm', (t) => {
  const f = buildDeviceFilter([rule(false, 'a', -1, -1, 'rwm'), rule(true, 'c', 1, 3, 'rwm')]);
  t.is(f.bytes.toString('hex').match(/.{16}/g)!.join(' '), [
    '6112000000000000', // r2 = *(u32 *)(r1 + 0)
    '54020000ffff0000', // r2 &= 0xffff
    '6113000000000000', // r3 = *(u32 *)(r1 + 0)
    '7403000010000000', // r3 >>= 16
    '6114040000000000', // r4 = *(u32 *)(r1 + 4)
    '6115080000000000', // r5 = *(u32 *)(r1 + 8)
    '5502040002000000', // if r2 != 2 (char) goto +4
    '5504030001000000', // if r4 != 1 goto +3
    '5505020003000000', // if r5 != 3 goto +2
    'b400000001000000', // r0 = 1
    '9500000000000000', // exit
    'b400000000000000', // r0 = 0
    '9500000000000000', // exit
  ].join(' '));
  t.true(run(f.bytes, 'c', 1, 3, 'rw'));
  t.false(run(f.bytes, 'c', 1, 7, 'r'));
  t.false(run(f.bytes, 'b', 1, 3, 'r'));
});

test('the program bytes for allow-all + deny c 1:7 w (a black-list block tests for any overlap)', (t) => {
  const f = buildDeviceFilter([rule(true, 'a', -1, -1, 'rwm'), rule(false, 'c', 1, 7, 'w')]);
  t.is(f.bytes.subarray(6 * 8).toString('hex').match(/.{16}/g)!.join(' '), [
    '5502070002000000', // if r2 != 2 (char) goto +7
    'bc31000000000000', // w1 = w3
    '5401000004000000', // w1 &= 4 (write)
    '1501040000000000', // if r1 == 0 goto +4
    '5504030001000000', // if r4 != 1 goto +3
    '5505020007000000', // if r5 != 7 goto +2
    'b400000000000000', // r0 = 0 (deny)
    '9500000000000000', // exit
    'b400000001000000', // r0 = 1 (default: allow)
    '9500000000000000', // exit
  ].join(' '));
});

test('partial access: allow rules need every requested bit', (t) => {
  const f = buildDeviceFilter([rule(false, 'a', -1, -1, 'rwm'), rule(true, 'c', 1, 3, 'r')]);
  t.is(f.insns.length, 6 + 8 + 2);
  t.deepEqual(f.insns.slice(7, 10).map((i) => i.code), [0xbc, 0x54, 0x5d]); // r1 = r3; r1 &= 2; if r1 != r3
  t.true(run(f.bytes, 'c', 1, 3, 'r'));
  t.false(run(f.bytes, 'c', 1, 3, 'rw'));
  t.false(run(f.bytes, 'c', 1, 3, 'm'));
});

test('black-list: a deny rule denies any overlapping access', (t) => {
  const f = buildDeviceFilter([rule(true, 'a', -1, -1, 'rwm'), rule(false, 'c', 1, 7, 'w'), rule(false, 'b', 8, -1, 'rwm')]);
  t.true(f.defaultAllow);
  t.true(run(f.bytes, 'c', 1, 7, 'r'));
  t.false(run(f.bytes, 'c', 1, 7, 'w'));
  t.false(run(f.bytes, 'c', 1, 7, 'rw'));
  t.true(run(f.bytes, 'c', 1, 3, 'w'));
  t.false(run(f.bytes, 'b', 8, 0, 'r'));
  t.false(run(f.bytes, 'b', 8, 16, 'm'));
  t.true(run(f.bytes, 'b', 7, 0, 'rw'));
});

test('the default container rules: the default devices and nothing else', (t) => {
  const f = buildDeviceFilter(containerDeviceRules(undefined));
  t.false(f.defaultAllow);
  for (const [maj, min] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [136, 0], [136, 7], [10, 200]] as const) {
    t.true(run(f.bytes, 'c', maj, min, 'rw'), `c ${maj}:${min}`);
  }
  t.true(run(f.bytes, 'c', 8, 0, 'm')); // mknod anything
  t.true(run(f.bytes, 'b', 8, 0, 'm'));
  t.false(run(f.bytes, 'b', 8, 0, 'r')); // but no disk access
  t.false(run(f.bytes, 'c', 10, 229, 'rw')); // /dev/fuse
  t.false(run(f.bytes, 'c', 1, 1, 'r')); // /dev/mem
  t.false(run(f.bytes, 'c', 4, 1, 'w'));
  // the spec's own rules come first; the defaults cannot be denied by them (as runc)
  const g = buildDeviceFilter(containerDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }]));
  t.true(run(g.bytes, 'c', 10, 229, 'rw'));
  t.true(run(g.bytes, 'c', 1, 3, 'rw'));
  // linux.devices nodes are allowed rwm
  const h = buildDeviceFilter(containerDeviceRules([{ allow: false, access: 'rwm' }], [{ type: 'b', major: 7, minor: 0 }]));
  t.true(run(h.bytes, 'b', 7, 0, 'rw'));
  t.false(run(h.bytes, 'b', 7, 1, 'r'));
});

test('program decisions equal the v1 emulator on random rule sets', (t) => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const majors = [-1, 1, 5, 8, 136];
  const minors = [-1, 0, 3, 5, 7];
  const accesses = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'];
  let checked = 0;
  for (let n = 0; n < 200; n++) {
    const rules: DeviceRule[] = [];
    const count = 1 + rnd(8);
    for (let i = 0; i < count; i++) {
      const type = (['a', 'c', 'b', 'c'] as const)[rnd(4)]!;
      rules.push(rule(rnd(2) === 0, type, majors[rnd(majors.length)]!, minors[rnd(minors.length)]!, accesses[rnd(accesses.length)]!));
    }
    const f = buildDeviceFilter(rules);
    const emu = DeviceEmulator.of(rules);
    for (const type of ['c', 'b'] as const) {
      for (const maj of [1, 5, 8, 136]) {
        for (const min of [0, 3, 5, 7]) {
          for (const acc of accesses) {
            const want = emu.allows(type, maj, min, acc);
            if (run(f.bytes, type, maj, min, acc) !== want) {
              t.fail(`${JSON.stringify(rules)}: ${type} ${maj}:${min} ${acc} should be ${want}`);
              return;
            }
            checked++;
          }
        }
      }
    }
  }
  t.is(checked, 200 * 2 * 4 * 4 * 7);
});

test('the v1 emulator follows the kernel: "a" resets, exceptions merge and shrink', (t) => {
  const e = DeviceEmulator.of([
    rule(false, 'a', -1, -1, 'rwm'),
    rule(true, 'c', 1, 3, 'r'),
    rule(true, 'c', 1, 3, 'w'),
    rule(true, 'c', 1, 5, 'rwm'),
    rule(false, 'c', 1, 5, 'w'),
  ]);
  t.deepEqual(e.rules().map((r) => `${r.allow ? 'allow' : 'deny'} ${r.type} ${r.major}:${r.minor} ${r.access}`), [
    'deny a -1:-1 rwm', 'allow c 1:3 rw', 'allow c 1:5 rm',
  ]);
  t.true(e.allows('c', 1, 3, 'rw'));
  t.false(e.allows('c', 1, 5, 'w'));
  const fromList = DeviceEmulator.fromDevicesList('c 1:3 rw\nc 1:5 rm\n');
  t.deepEqual(fromList.transition(e), []);
  t.deepEqual(new DeviceEmulator(true).transition(e).map((r) => r.type + r.access), ['arwm', 'crw', 'crm']);
});
