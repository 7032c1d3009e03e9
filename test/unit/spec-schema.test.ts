/**
 * The project's schemas against the runtime-spec's own fixtures (../shared/oci/runtime-spec/test):
 * every good document is accepted, every bad one rejected with a one-line ConfigError. Both the
 * pre-compiled standalone validators and ajv compiling the schemas at run time are exercised.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.js';
import { parseJson, usingStandaloneValidators, validateFeatures, validateSpec, validateState } from '../../src/spec/index.js';
import { compileValidators, getValidators } from '../../src/spec/validate.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = join(repo, '..', 'shared', 'oci', 'runtime-spec', 'test');
if (!existsSync(fixtures)) {
  throw new Error(`runtime-spec fixtures not found at ${fixtures} (expected ../shared/oci next to the repository)`);
}

type Kind = 'config' | 'state' | 'features';
const validate: Record<Kind, (o: unknown, source: string) => unknown> = {
  config: (o, s) => validateSpec(o, s, { checks: false }),
  state: validateState,
  features: validateFeatures,
};
const validatorName = { config: 'validateConfig', state: 'validateState', features: 'validateFeatures' } as const;

function files(kind: Kind, verdict: 'good' | 'bad'): string[] {
  const dir = join(fixtures, kind, verdict);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
}

const runtimeCompiled = compileValidators();

test('the standalone validators are the ones in use', (t) => {
  t.true(usingStandaloneValidators());
});

for (const kind of ['config', 'state', 'features'] as const) {
  test(`${kind}: there are fixtures`, (t) => {
    t.true(files(kind, 'good').length > 0, `no good ${kind} fixtures`);
    t.true(files(kind, 'bad').length > 0, `no bad ${kind} fixtures`);
  });

  for (const f of files(kind, 'good')) {
    test(`${kind}: good/${f} is accepted`, (t) => {
      const source = `${kind}/good/${f}`;
      const obj = parseJson(readFileSync(join(fixtures, kind, 'good', f), 'utf8'), source);
      t.notThrows(() => validate[kind](obj, source));
      t.true(runtimeCompiled[validatorName[kind]](obj), 'runtime-compiled ajv agrees');
    });
  }

  for (const f of files(kind, 'bad')) {
    test(`${kind}: bad/${f} is rejected`, (t) => {
      const source = `${kind}/bad/${f}`;
      const text = readFileSync(join(fixtures, kind, 'bad', f), 'utf8');
      if (f === 'invalid-json.json') {
        const err = t.throws(() => parseJson(text, source), { instanceOf: ConfigError });
        t.regex(err!.message, new RegExp(`^${source}: invalid JSON: `));
        t.notRegex(err!.message, /\n/);
        return;
      }
      const obj = parseJson(text, source);
      const err = t.throws(() => validate[kind](obj, source), { instanceOf: ConfigError });
      t.regex(err!.message, new RegExp(`^${source}: (/\\S*|\\(root\\)): `));
      t.notRegex(err!.message, /\n/);
      t.false(runtimeCompiled[validatorName[kind]](obj), 'runtime-compiled ajv agrees');
      t.log(err!.message);
    });
  }
}

test('the bad fixtures fail on the field they are about', (t) => {
  const msg = (kind: Kind, f: string) => {
    try {
      validate[kind](parseJson(readFileSync(join(fixtures, kind, 'bad', f), 'utf8'), 'x.json'), 'x.json');
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  const expected: Record<string, [Kind, RegExp]> = {
    'freebsd-vnet-disable.json': ['config', /^x\.json: \/freebsd\/jail\/vnet: must be one of new, inherit \(got "disable"\)$/],
    'linux-hugepage.json': ['config', /^x\.json: \/linux\/resources\/hugepageLimits\/0\/pageSize: must match .* \(got "64kB"\)$/],
    'linux-netdevice.json': ['config', /^x\.json: \/linux\/netDevices\/eth0\/name: must be a string, got a number \(23\)$/],
    'linux-rdma.json': ['config', /^x\.json: \/linux\/resources\/rdma\/mlx5_1\/hcaHandles: must be an integer, got a string/],
    'missing-ociVersionMax.json': ['features', /^x\.json: \/ociVersionMax: is required$/],
  };
  for (const [f, [kind, re]] of Object.entries(expected)) {
    if (files(kind, 'bad').includes(f)) t.regex(msg(kind, f), re, f);
  }
});

test('standalone and runtime-compiled validators report the same first error', (t) => {
  const docs: unknown[] = [
    { ociVersion: '1.0.0', root: { path: 'r' }, linux: { namespaces: [{ type: 'pidx' }] } },
    { ociVersion: '1.0.0', process: { cwd: '/', rlimits: [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }] } },
    { ociVersion: 1 },
    [],
    { ociVersion: '1.0.0', linux: { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] } } },
  ];
  for (const d of docs) {
    const a = getValidators().validateConfig;
    const b = runtimeCompiled.validateConfig;
    t.is(a(d), b(d));
    t.deepEqual(a.errors, b.errors);
  }
});
