/**
 * Cross-check of the project's schemas against the runtime-spec's own fixtures, read from
 * ../shared/oci/runtime-spec/test beside the repository when it is there (a clone alone has no
 * ../shared: then this is one skipped test saying so). Every good document is accepted, every bad
 * one rejected with a one-line ConfigError, by the standalone and the runtime-compiled validators.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.js';
import { parseJson, validateFeatures, validateSpec, validateState } from '../../src/spec/index.js';
import { compileValidators } from '../../src/spec/validate.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = join(repo, '..', 'shared', 'oci', 'runtime-spec', 'test');

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

function registerUpstreamTests(): void {
  const runtimeCompiled = compileValidators();
  for (const kind of ['config', 'state', 'features'] as const) {
    test(`upstream ${kind}: there are fixtures`, (t) => {
      t.true(files(kind, 'good').length > 0, `no good ${kind} fixtures`);
      t.true(files(kind, 'bad').length > 0, `no bad ${kind} fixtures`);
    });

    for (const f of files(kind, 'good')) {
      test(`upstream ${kind}: good/${f} is accepted`, (t) => {
        const source = `${kind}/good/${f}`;
        const obj = parseJson(readFileSync(join(fixtures, kind, 'good', f), 'utf8'), source);
        t.notThrows(() => validate[kind](obj, source));
        t.true(runtimeCompiled[validatorName[kind]](obj), 'runtime-compiled ajv agrees');
      });
    }

    for (const f of files(kind, 'bad')) {
      test(`upstream ${kind}: bad/${f} is rejected`, (t) => {
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

  test('upstream: the bad fixtures fail on the field they are about', (t) => {
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
    const present = Object.entries(expected).filter(([f, [kind]]) => files(kind, 'bad').includes(f));
    t.true(present.length > 0, 'none of the known bad fixtures is there');
    for (const [f, [kind, re]] of present) t.regex(msg(kind, f), re, f);
  });
}

if (existsSync(fixtures)) registerUpstreamTests();
else test.skip('upstream runtime-spec fixtures: skipped: ../shared/oci not beside the repository', () => {});
