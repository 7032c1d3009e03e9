/**
 * The generated files are up to date with schemas/*.json, and the type generator handles the
 * JSON Schema subset it claims to.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OUTPUTS, renderTypes, renderValidators } from '../../scripts/gen-types.js';
import type { LinuxNamespaceType, Process, Spec, State } from '../../src/spec/index.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const HINT = 'run: npx tsc -p tsconfig.json && node dist/scripts/gen-types.js';

test('the committed types.generated.ts equals a fresh generation', (t) => {
  t.is(readFileSync(`${repo}/${OUTPUTS.types}`, 'utf8'), renderTypes(), HINT);
});

test('the committed standalone validators equal a fresh generation', (t) => {
  t.is(readFileSync(`${repo}/${OUTPUTS.validators}`, 'utf8'), renderValidators(), HINT);
});

test('the generated types name the main runtime-spec structures', (t) => {
  const text = renderTypes();
  for (const name of [
    'Spec', 'Process', 'User', 'LinuxCapabilities', 'POSIXRlimit', 'Root', 'Mount', 'Hooks', 'Hook', 'Linux',
    'LinuxNamespace', 'LinuxIDMapping', 'LinuxResources', 'LinuxMemory', 'LinuxCPU', 'LinuxPids', 'LinuxBlockIO',
    'LinuxSeccomp', 'LinuxSyscall', 'LinuxSeccompArg', 'LinuxDevice', 'LinuxDeviceCgroup', 'LinuxIntelRdt',
    'LinuxMemoryPolicy', 'LinuxNetDevice', 'LinuxPersonality', 'Scheduler', 'LinuxIOPriority', 'CPUAffinity',
    'State', 'Features', 'LinuxFeatures',
  ]) {
    t.regex(text, new RegExp(`^export (interface|type) ${name}\\b`, 'm'), name);
  }
});

test('the generated types type-check a real config (compile-time test)', (t) => {
  const ns: LinuxNamespaceType = 'time';
  const proc: Process = { cwd: '/', args: ['sh'], rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }] };
  const spec: Spec = {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: proc,
    linux: {
      namespaces: [{ type: ns }],
      timeOffsets: { monotonic: { secs: 1 } },
      resources: { memory: { limit: 1 << 20 }, rdma: { mlx: { hcaHandles: 1 } }, unified: { 'memory.high': 'max' } },
      seccomp: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }] },
    },
  };
  const state: State = { ociVersion: '1.3.0', id: 'x', status: 'created', bundle: '/b', pid: 1 };
  t.truthy(spec && state);
});

test('the generator: $ref across documents, enums, unions, maps, required, titles', (t) => {
  const text = renderTypes({
    'defs.json': {
      $id: 'https://tsrun.invalid/schemas/defs.json',
      definitions: {
        n: { type: 'integer' },
        color: { title: 'Color', enum: ['red', 'green'] },
        thing: { title: 'Thing', type: 'object', required: ['a'], properties: { a: { $ref: '#/definitions/n' }, 'b-c': { type: 'string', description: 'dashed' } } },
      },
    },
    'config.schema.json': {
      title: 'Root',
      type: 'object',
      properties: {
        c: { $ref: 'defs.json#/definitions/color' },
        u: { anyOf: [{ type: 'string' }, { $ref: 'defs.json#/definitions/thing' }] },
        o: { oneOf: [{ const: 1 }, { type: 'null' }] },
        m: { type: 'object', additionalProperties: { $ref: 'defs.json#/definitions/thing' } },
        l: { type: 'array', items: { anyOf: [{ type: 'boolean' }, { type: 'number' }] } },
        p: { $ref: 'defs.json#/definitions/thing/properties/a' },
      },
    },
    'state.schema.json': { title: 'S', type: 'object', properties: { x: { type: 'array', items: { $ref: 'defs.json#/definitions/color' } } } },
    'features.schema.json': { title: 'F', type: 'object', properties: {} },
  });
  t.regex(text, /export interface Root \{\n  c\?: Color;\n  u\?: string \| Thing;\n  o\?: 1 \| null;\n  m\?: Record<string, Thing>;\n  l\?: Array<boolean \| number>;\n  p\?: number;\n\}/);
  t.regex(text, /export type Color = "red" \| "green";/);
  t.regex(text, /export interface Thing \{\n  a: number;\n  \/\*\* dashed \*\/\n  "b-c"\?: string;\n\}/);
  t.regex(text, /export interface S \{\n  x\?: Color\[\];\n\}/);
  t.is(text.match(/export type Color/g)?.length, 1);
});

test('the generator refuses a dangling $ref', (t) => {
  t.throws(
    () =>
      renderTypes({
        'config.schema.json': { title: 'A', type: 'object', properties: { x: { $ref: '#/definitions/missing' } } },
        'state.schema.json': { title: 'B', type: 'object' },
        'features.schema.json': { title: 'C', type: 'object' },
      }),
    { message: /does not resolve/ },
  );
});
