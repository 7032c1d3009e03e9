import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeFrames, encodeFrame, encodeOp, encodePlan, FrameType, FRAME_MAGIC, Op, OP_FIELDS, renderProtoHeader } from '../../src/executor/protocol.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

test('the committed proto.h is what protocol.ts generates', (t) => {
  t.is(readFileSync(`${repo}/native/executor/proto.h`, 'utf8'), renderProtoHeader());
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
