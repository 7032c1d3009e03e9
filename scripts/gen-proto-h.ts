/**
 * Writes native/executor/proto.h from src/executor/protocol.ts (`make proto`), so the C side never
 * drifts: the constants, a named struct per op (fields as OP_FIELDS names them), the table wire.c
 * decodes a plan by, the handler prototypes and the dispatch from opcode to handler.
 * test/unit/protocol.test.ts fails when the committed header differs from what this renders.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  FRAME_HEADER_SIZE,
  FRAME_MAGIC,
  FrameType,
  MAX_FRAME,
  Op,
  OP_FIELDS,
  OP_HEADER_SIZE,
  PathFlag,
  PROTOCOL_VERSION,
  TreeFlag,
  type FieldKind,
} from '../src/executor/protocol.js';

/** The C type of each field kind; the list kinds are structs the header declares. */
const C_TYPES: Record<FieldKind, string> = {
  u32: 'uint32_t',
  u64: 'uint64_t',
  str: 'const char *',
  strs: 'struct strs',
  u32s: 'struct u32s',
  bytes: 'struct bytes',
};

/** An op's C name: its struct tag is `op_NAME`, its member of struct op `NAME`, its handler `op_NAME`. */
export function cOpName(op: Op): string {
  return Op[op]!.toLowerCase();
}

/** A field's C name: OP_FIELDS' camelCase in snake_case (usernsPath: userns_path). */
export function cFieldName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Every op, in opcode order, with its fields. */
function ops(): Array<[Op, ReadonlyArray<readonly [string, FieldKind]>]> {
  return Object.entries(OP_FIELDS).map(([code, fields]) => [Number(code) as Op, fields]);
}

function defines(prefix: string, e: Record<string, string | number>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(e)) if (typeof value === 'number') out.push(`#define ${prefix}${name} ${value}`);
  return [...out, ''];
}

function fieldDecl(kind: FieldKind, name: string): string {
  const type = C_TYPES[kind];
  return `\t${type}${type.endsWith('*') ? '' : ' '}${cFieldName(name)};`;
}

/** struct op_NAME for each op with fields (an op without fields has no struct). */
function opStructs(): string[] {
  const out: string[] = [];
  for (const [op, fields] of ops()) {
    if (!fields.length) continue;
    out.push(`struct op_${cOpName(op)} {`, ...fields.map(([name, kind]) => fieldDecl(kind, name)), '};', '');
  }
  return out;
}

function opUnion(): string[] {
  const members = ops()
    .filter(([, fields]) => fields.length)
    .map(([op]) => `\t\tstruct op_${cOpName(op)} ${cOpName(op)};`);
  return [
    '/* One op of the plan: its code and its fields, decoded by parse_plan (wire.c). */',
    'struct op {',
    '\tuint16_t code;',
    '\tunion {',
    ...members,
    '\t};',
    '};',
    '',
  ];
}

function layoutTable(): string[] {
  const most = Math.max(...ops().map(([, fields]) => fields.length));
  const kind = (k: FieldKind) => `FIELD_${k.toUpperCase()}`;
  const rows = ops().flatMap(([op, fields]) => {
    const head = `\t[OP_${Op[op]}] = {"${Op[op]}", ${fields.length}`;
    if (!fields.length) return [`${head}},`];
    const at = fields.map(([name, k]) => `\t\t{${kind(k)}, offsetof(struct op, ${cOpName(op)}.${cFieldName(name)})},`);
    return [`${head}, {`, ...at, '\t}},'];
  });
  return [
    `enum field_kind { ${(Object.keys(C_TYPES) as FieldKind[]).map(kind).join(', ')} };`,
    '',
    '/* Where parse_plan puts each field of an op: its kind and its offset in struct op, in wire order.',
    ' * An opcode without a name is unknown. */',
    `#define OP_MAX_FIELDS ${most}`,
    'struct op_layout {',
    '\tconst char *name;',
    '\tuint8_t count;',
    '\tstruct {',
    '\t\tuint8_t kind;',
    '\t\tuint16_t offset;',
    '\t} fields[OP_MAX_FIELDS];',
    '};',
    '',
    'static const struct op_layout op_layouts[] = {',
    ...rows,
    '};',
    '',
  ];
}

function handlerArgs(op: Op): string {
  return OP_FIELDS[op].length ? `const struct op_${cOpName(op)} *o` : 'void';
}

function dispatch(): string[] {
  const cases = ops().map(([op, fields]) => {
    const call = `op_${cOpName(op)}(${fields.length ? `&o->${cOpName(op)}` : ''})`;
    return `\tcase OP_${Op[op]}: ${call}; return 0;`;
  });
  return [
    '/* The op handlers (fsops.c, nsops.c, procops.c). */',
    ...ops().map(([op]) => `void op_${cOpName(op)}(${handlerArgs(op)});`),
    '',
    '/* Runs the handler of o; -1 for an opcode without one. */',
    'static inline int run_op(const struct op *o)',
    '{',
    '\tswitch (o->code) {',
    ...cases,
    '\t}',
    '\treturn -1;',
    '}',
    '',
  ];
}

/** The text of native/executor/proto.h. */
export function renderProtoHeader(): string {
  return [
    '/* Generated from src/executor/protocol.ts by scripts/gen-proto-h.ts (make proto). Do not edit. */',
    '#ifndef TSRUN_PROTO_H',
    '#define TSRUN_PROTO_H',
    '',
    '#include <stddef.h>',
    '#include <stdint.h>',
    '',
    `#define TSRUN_FRAME_MAGIC 0x${FRAME_MAGIC.toString(16)}u`,
    `#define TSRUN_PROTOCOL_VERSION ${PROTOCOL_VERSION}`,
    `#define TSRUN_FRAME_HEADER_SIZE ${FRAME_HEADER_SIZE}`,
    `#define TSRUN_OP_HEADER_SIZE ${OP_HEADER_SIZE}`,
    `#define TSRUN_MAX_FRAME ${MAX_FRAME}`,
    '',
    ...defines('FRAME_', FrameType),
    ...defines('PATH_', PathFlag),
    ...defines('TREE_', TreeFlag),
    ...defines('OP_', Op),
    '/* The list kinds: strs is NULL-terminated too (an argv), bytes point into the plan. */',
    'struct strs {',
    '\tchar **items;',
    '\tuint32_t count;',
    '};',
    'struct u32s {',
    '\tuint32_t *items;',
    '\tuint32_t count;',
    '};',
    'struct bytes {',
    '\tconst uint8_t *data;',
    '\tuint32_t len;',
    '};',
    '',
    ...opStructs(),
    ...opUnion(),
    ...layoutTable(),
    ...dispatch(),
    '#endif',
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(process.argv[2] ?? 'native/executor/proto.h', renderProtoHeader());
}
