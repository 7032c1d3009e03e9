import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cFieldName, cOpName, renderProtoHeader } from '../../scripts/gen-proto-h.js';
import {
  decodeFrames,
  encodeFrame,
  encodeOp,
  encodePlan,
  FrameType,
  FRAME_MAGIC,
  Op,
  OP_FIELDS,
  OP_HEADER_SIZE,
  type FieldKind,
  type FieldValue,
  type PlanOp,
} from '../../src/executor/protocol.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const native = path.join(repo, 'native/executor');

test('the committed proto.h is what gen-proto-h.ts renders from protocol.ts (make proto)', (t) => {
  t.is(readFileSync(path.join(native, 'proto.h'), 'utf8'), renderProtoHeader());
});

// ---------------------------------------------------------------------------------------------
// The C decoding (wire.c into proto.h's named structs) against the TypeScript encoding: a small
// C program decodes TS-encoded plans with the executor's own parse_plan and prints every field by
// its member name; the output must be the values encoded.

const cc = process.env['CC'] || 'cc';
const haveCc = spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0;
const ccTest = haveCc ? test : test.skip;
const ccTitle = (title: string) => (haveCc ? title : `${title} (skipped: no C compiler "${cc}" on this host)`);

/** How the harness prints one field kind: a C statement for the member at `expr`. */
const C_PRINT: Record<FieldKind, (label: string, expr: string) => string> = {
  u32: (l, e) => `printf("${l}=%u\\n", ${e});`,
  u64: (l, e) => `printf("${l}=%llu\\n", (unsigned long long)${e});`,
  str: (l, e) => `printf("${l}=%s\\n", ${e});`,
  strs: (l, e) => `print_strs("${l}", &${e});`,
  u32s: (l, e) => `print_u32s("${l}", &${e});`,
  bytes: (l, e) => `print_bytes("${l}", &${e});`,
};

/** The same, in TypeScript: what the harness must print for a value. */
const TS_PRINT: Record<FieldKind, (v: FieldValue) => string> = {
  u32: String,
  u64: String,
  str: String,
  strs: (v) => `${(v as string[]).length}[${(v as string[]).join('|')}]`,
  u32s: (v) => `${(v as number[]).length}[${(v as number[]).join('|')}]`,
  bytes: (v) => Buffer.from(v as Uint8Array).toString('hex'),
};

function harnessSource(): string {
  const cases = Object.entries(OP_FIELDS).flatMap(([code, fields]) => {
    const op = Number(code) as Op;
    const prints = fields.map(([name, kind]) => `\t\t\t${C_PRINT[kind](`${Op[op]}.${name}`, `o->${cOpName(op)}.${cFieldName(name)}`)}`);
    return [`\t\tcase OP_${Op[op]}:`, `\t\t\tprintf("${Op[op]}\\n");`, ...prints, '\t\t\tbreak;'];
  });
  return `#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "executor.h"

/* What wire.c and bail.c use of main.c. */
int g_sync_fd = -1;
uint32_t g_op_index;

static void print_strs(const char *label, const struct strs *l)
{
	printf("%s=%u[", label, l->count);
	for (uint32_t i = 0; i < l->count; i++)
		printf("%s%s", i ? "|" : "", l->items[i]);
	printf("]\\n");
	if (l->items[l->count])
		printf("%s: not NULL-terminated\\n", label);
}

static void print_u32s(const char *label, const struct u32s *l)
{
	printf("%s=%u[", label, l->count);
	for (uint32_t i = 0; i < l->count; i++)
		printf("%s%u", i ? "|" : "", l->items[i]);
	printf("]\\n");
}

static void print_bytes(const char *label, const struct bytes *b)
{
	printf("%s=", label);
	for (uint32_t i = 0; i < b->len; i++)
		printf("%02x", b->data[i]);
	printf("\\n");
}

/* Reads a PLAN frame on stdin, decodes it with parse_plan and prints every op's fields. */
int main(void)
{
	static uint8_t buf[1 << 20];
	size_t len = 0, n;
	while ((n = fread(buf + len, 1, sizeof buf - len, stdin)) > 0)
		len += n;
	if (len < TSRUN_FRAME_HEADER_SIZE)
		return 2;
	uint32_t count;
	struct op *ops = parse_plan(buf + TSRUN_FRAME_HEADER_SIZE, (uint32_t)(len - TSRUN_FRAME_HEADER_SIZE), &count);
	for (uint32_t i = 0; i < count; i++) {
		const struct op *o = &ops[i];
		switch (o->code) {
${cases.join('\n')}
		default:
			printf("no case for op %u\\n", o->code);
		}
	}
	return 0;
}
`;
}

let work = '';
let harness = '';
test.before(() => {
  if (!haveCc) return;
  work = mkdtempSync(path.join(tmpdir(), 'tsrun-proto-'));
  harness = path.join(work, 'decode');
  writeFileSync(path.join(work, 'decode.c'), harnessSource());
  const sources = [path.join(work, 'decode.c'), path.join(native, 'wire.c'), path.join(native, 'bail.c')];
  const built = spawnSync(cc, ['-std=gnu11', '-D_GNU_SOURCE', '-Wall', '-Wextra', `-I${native}`, '-o', harness, ...sources], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`${cc} could not build the decoding harness:\n${built.stderr}`);
});
test.after.always(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function decodeInC(frame: Buffer): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(harness, [], { input: frame, encoding: 'utf8' });
}

/** A value of `kind` unique to (op, field), reaching the top bits; `empty` gives zeros and empties. */
function sample(kind: FieldKind, op: Op, i: number, empty: boolean): FieldValue {
  switch (kind) {
    case 'u32':
      return empty ? 0 : 0x8000_0000 + op * 256 + i;
    case 'u64':
      return empty ? 0n : (1n << 63n) | (BigInt(op) << 40n) | BigInt(i);
    case 'str':
      return empty ? '' : `${Op[op]}.${i} é`.repeat(1 + (i % 3));
    case 'strs':
      return empty ? [] : [`${Op[op]}`, '', `x${i}`];
    case 'u32s':
      return empty ? [] : [1, 0xffff_ffff, op, i];
    case 'bytes':
      return empty ? new Uint8Array() : Uint8Array.from({ length: 1 + ((op + i) % 9) }, (_, k) => (op * 31 + k * 7) & 0xff);
  }
}

function samplePlan(empty: boolean): PlanOp[] {
  return Object.entries(OP_FIELDS).map(([code, fields]) => {
    const op = Number(code) as Op;
    return { op, args: Object.fromEntries(fields.map(([name, kind], i) => [name, sample(kind, op, i, empty)])) };
  });
}

function expectedOutput(plan: readonly PlanOp[]): string {
  const lines = plan.flatMap(({ op, args }) => [
    Op[op]!,
    ...OP_FIELDS[op].map(([name, kind]) => `${Op[op]}.${name}=${TS_PRINT[kind](args[name]!)}`),
  ]);
  return `${lines.join('\n')}\n`;
}

for (const empty of [false, true]) {
  const what = empty ? 'zeros and empty strings and lists' : 'distinct values in every field';
  ccTest(ccTitle(`the C decoder reads every op's named fields as TypeScript encoded them: ${what}`), (t) => {
    const plan = samplePlan(empty);
    const out = decodeInC(encodePlan(plan));
    t.is(out.stderr, '');
    t.is(out.status, 0);
    t.is(out.stdout, expectedOutput(plan));
  });
}

ccTest(ccTitle('the C decoder refuses a body shorter than its layout and an unknown opcode'), (t) => {
  const setns = encodeOp({ op: Op.SETNS, args: { nstype: 1, path: '/proc/1/ns/net' } });
  // Only the u32: the str the layout wants next is missing.
  const short = Buffer.from(setns.subarray(0, OP_HEADER_SIZE + 4));
  short.writeUInt32LE(4, 4);
  const truncated = decodeInC(encodeFrame(FrameType.PLAN, short));
  t.is(truncated.status, 1);
  t.is(truncated.stderr, `tsrun-executor: op 0 (code ${Op.SETNS}): malformed body of 4 bytes\n`);
  const unknown = Buffer.alloc(OP_HEADER_SIZE);
  unknown.writeUInt16LE(999, 0);
  const refused = decodeInC(encodeFrame(FrameType.PLAN, unknown));
  t.is(refused.status, 1);
  t.is(refused.stderr, 'tsrun-executor: unknown op 999\n');
});

test('every op has a field layout', (t) => {
  for (const v of Object.values(Op)) if (typeof v === 'number') t.truthy(OP_FIELDS[v as Op], Op[v]);
});

test('an op encodes header, fields in order, padding to 4 bytes', (t) => {
  const b = encodeOp({ op: Op.SETNS, args: { nstype: 0x20000, path: '/x' } });
  t.is(b.readUInt16LE(0), Op.SETNS);
  t.is(b.readUInt32LE(4), b.length - 8);
  t.is(b.length % 4, 0);
  t.is(b.readUInt32LE(8), 0x20000);
  t.is(b.readUInt32LE(12), 3); // "/x\0"
  t.is(b.subarray(16, 19).toString(), '/x\0');
});

test('u64, strs, u32s and bytes fields encode', (t) => {
  const caps = encodeOp({ op: Op.CAPSET, args: { effective: 1n << 40n, permitted: 3n, inheritable: 0n } });
  t.is(caps.readBigUInt64LE(8), 1n << 40n);
  const groups = encodeOp({ op: Op.SETGROUPS, args: { gids: [5, 6] } });
  t.deepEqual([groups.readUInt32LE(8), groups.readUInt32LE(12), groups.readUInt32LE(16)], [2, 5, 6]);
  const exec = encodeOp({ op: Op.EXECVE, args: { argv: ['a', 'bc'], envp: [] } });
  t.is(exec.readUInt32LE(8), 2);
  const sec = encodeOp({ op: Op.SECCOMP, args: { flags: 1, program: new Uint8Array(8) } });
  t.is(sec.readUInt32LE(12), 8);
});

test('wrong field types and NUL bytes are refused before anything is sent', (t) => {
  t.throws(() => encodeOp({ op: Op.CHDIR, args: { path: 5 } }), { message: /CHDIR.path: expected a string/ });
  t.throws(() => encodeOp({ op: Op.CHDIR, args: { path: 'a\0b' } }), { message: /NUL/ });
  t.throws(() => encodeOp({ op: Op.UMASK, args: { mask: -1 } }), { message: /u32 out of range/ });
});

test('a plan is one PLAN frame', (t) => {
  const f = encodePlan([{ op: Op.FORK, args: { wait: 0 } }]);
  t.is(f.readUInt32LE(0), FRAME_MAGIC);
  t.is(f.readUInt16LE(6), FrameType.PLAN);
  t.is(f.readUInt32LE(8), f.length - 12);
});

test('frames decode across chunk boundaries', (t) => {
  const err = Buffer.alloc(8 + 4 + 4);
  err.writeInt32LE(2, 0);
  err.writeUInt32LE(7, 4);
  err.writeUInt32LE(4, 8);
  err.write('abc\0', 12);
  const stream = Buffer.concat([encodeFrame(FrameType.READY), encodeFrame(FrameType.ERROR, err)]);
  const first = decodeFrames(stream.subarray(0, 20));
  t.deepEqual(first.messages, [{ type: FrameType.READY }]);
  const second = decodeFrames(Buffer.concat([first.rest, stream.subarray(20)]));
  t.deepEqual(second.messages, [{ type: FrameType.ERROR, errno: 2, opIndex: 7, message: 'abc' }]);
  t.is(second.rest.length, 0);
});

test('garbage on the socket is a protocol error', (t) => {
  t.throws(() => decodeFrames(Buffer.alloc(16, 0xff)), { message: /bad frame magic/ });
});
