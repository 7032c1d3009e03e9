/**
 * The project's schemas against the project's own fixtures (test/fixtures/spec): every valid
 * document is accepted, and every invalid one, each breaking one rule of the schemas, is rejected
 * by ajv at the field it is about, with a one-line ConfigError. Both the pre-compiled standalone
 * validators and ajv compiling the schemas at run time are exercised and must agree.
 *
 * An invalid fixture is { breaks: the rule, keyword: ajv's keyword, instancePath: where ajv
 * reports it, document }. Kinds are named by the file's prefix: config-, process-, state-, features-.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.js';
import { parseJson, usingStandaloneValidators, validateFeatures, validateProcess, validateSpec, validateState } from '../../src/spec/index.js';
import { readSchemas, type ValidatorName } from '../../src/spec/schemas.js';
import { compileValidators, getValidators } from '../../src/spec/validate.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/spec/', import.meta.url));

const KINDS = {
  config: { validator: 'validateConfig', validate: (o: unknown, s: string) => validateSpec(o, s, { checks: false }) },
  process: { validator: 'validateProcess', validate: (o: unknown, s: string) => validateProcess(o, s, { checks: false }) },
  state: { validator: 'validateState', validate: validateState },
  features: { validator: 'validateFeatures', validate: validateFeatures },
} as const satisfies Record<string, { validator: ValidatorName; validate: (o: unknown, source: string) => unknown }>;
type Kind = keyof typeof KINDS;

interface InvalidFixture {
  breaks: string;
  keyword: string;
  instancePath: string;
  document: unknown;
}

function kindOf(file: string): Kind {
  const kind = file.slice(0, file.indexOf('-'));
  if (!(kind in KINDS)) throw new Error(`${file}: the name must start with one of ${Object.keys(KINDS).join(', ')} and a dash`);
  return kind as Kind;
}

function fixtureFiles(verdict: 'valid' | 'invalid'): string[] {
  return readdirSync(join(FIXTURES, verdict)).filter((f) => f.endsWith('.json')).sort();
}

function readFixture(verdict: 'valid' | 'invalid', file: string): unknown {
  return parseJson(readFileSync(join(FIXTURES, verdict, file), 'utf8'), `${verdict}/${file}`);
}

const runtimeCompiled = compileValidators();
const valid = fixtureFiles('valid');
const invalid = fixtureFiles('invalid').map((file) => ({ file, kind: kindOf(file), ...(readFixture('invalid', file) as InvalidFixture) }));

test('the standalone validators are the ones in use', (t) => {
  t.true(usingStandaloneValidators());
});

test('there are valid and invalid fixtures of every kind', (t) => {
  for (const kind of Object.keys(KINDS)) {
    t.true(valid.some((f) => kindOf(f) === kind), `no valid ${kind} fixture`);
    t.true(invalid.some((f) => f.kind === kind), `no invalid ${kind} fixture`);
  }
});

for (const file of valid) {
  test(`valid/${file} is accepted`, (t) => {
    const kind = kindOf(file);
    const doc = readFixture('valid', file);
    t.notThrows(() => KINDS[kind].validate(doc, file));
    t.true(runtimeCompiled[KINDS[kind].validator](doc), 'runtime-compiled ajv agrees');
  });
}

for (const f of invalid) {
  test(`invalid/${f.file} is rejected at ${f.instancePath || '(root)'} (${f.keyword}): ${f.breaks}`, (t) => {
    const standalone = getValidators()[KINDS[f.kind].validator];
    const compiled = runtimeCompiled[KINDS[f.kind].validator];
    t.false(standalone(f.document));
    const first = standalone.errors![0]!;
    t.is(first.instancePath, f.instancePath);
    t.is(first.keyword, f.keyword);
    t.false(compiled(f.document), 'runtime-compiled ajv agrees');
    t.deepEqual(compiled.errors, standalone.errors, 'both report the same first error');
    const err = t.throws(() => KINDS[f.kind].validate(f.document, f.file), { instanceOf: ConfigError });
    t.true(err!.message.startsWith(`${f.file}: ${f.instancePath}`), err!.message);
    t.notRegex(err!.message, /\n/);
  });
}

/** Validation keywords used anywhere in the schemas (besides structure: properties, items, $ref...). */
function ruleKeywords(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) ruleKeywords(n, found);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (RULES.has(k) && !(k === 'additionalProperties' && v !== false)) found.add(k);
      // Inside propertyNames, the rule is about keys: counted as propertyNames itself.
      if (k !== 'enum' && k !== 'required' && k !== 'propertyNames') ruleKeywords(v, found);
    }
  }
  return found;
}
const RULES = new Set(['type', 'required', 'enum', 'const', 'pattern', 'minimum', 'maximum', 'minItems', 'minLength', 'additionalProperties', 'propertyNames']);

test('the invalid fixtures break every kind of rule the schemas make', (t) => {
  const used = ruleKeywords(readSchemas());
  t.true(used.has('required') && used.has('enum'), `the walk found only ${[...used].join(', ')}`);
  // A propertyNames rule ({ not: { const: "" } }) is reported by ajv as the failing 'not'.
  const broken = new Set(invalid.map((f) => (f.keyword === 'not' ? 'propertyNames' : f.keyword)));
  t.deepEqual([...used].filter((k) => !broken.has(k)).sort(), []);
});

test('a document that is not JSON is a one-line ConfigError naming the source', (t) => {
  const err = t.throws(() => parseJson('{"ociVersion": "1.2.0",', 'config.json'), { instanceOf: ConfigError });
  t.regex(err!.message, /^config\.json: invalid JSON: /);
  t.notRegex(err!.message, /\n/);
});
