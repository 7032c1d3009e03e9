/**
 * Schema validation of config.json, --process files, state and features output.
 *
 * The validators are ajv "standalone" functions compiled from schemas/*.json at build time
 * (validators.generated.ts, written by scripts/gen-types.ts): loading them is cheap, where
 * loading ajv and compiling the schemas would dominate every `create` (docs/performance.md). With
 * TSRUN_SPEC_RUNTIME_AJV=1 the schemas are compiled with ajv at run time instead; both paths use the same options (schemas.ts) and
 * behave identically.
 *
 * Only the first error is reported, as one line: `<source>: <JSON pointer>: <rule>`.
 */
import {
  validateConfig as standaloneConfig,
  validateFeatures as standaloneFeatures,
  validateImageConfig as standaloneImageConfig,
  validateImageIndex as standaloneImageIndex,
  validateImageLayout as standaloneImageLayout,
  validateImageManifest as standaloneImageManifest,
  validateProcess as standaloneProcess,
  validateState as standaloneState,
} from './validators.generated.js';
import type { ErrorObject } from 'ajv';
import { ConfigError } from '../errors.js';
import { VALIDATORS, createAjv, readSchemas, type ValidatorName } from './schemas.js';
import type { Features, Process, Spec, State } from './types.generated.js';
import { checkProcess, checkSpec, type CheckOptions } from './checks.js';
import { oneLine } from './text.js';

/** An ajv validation function (standalone or compiled): true, or false with `.errors`. */
export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export type Validators = Record<ValidatorName, SchemaValidator>;

/** Compiles every validator with ajv now (the slow path; also used by tests to cross-check). */
export function compileValidators(): Validators {
  const ajv = createAjv(readSchemas(), false);
  const out: Partial<Validators> = {};
  for (const [name, id] of Object.entries(VALIDATORS) as [ValidatorName, string][]) {
    const v = ajv.getSchema(id);
    if (!v) throw new Error(`schema ${id} not found`);
    out[name] = v as SchemaValidator;
  }
  return out as Validators;
}

const runtimeAjv = (): boolean => process.env.TSRUN_SPEC_RUNTIME_AJV === '1';
let compiled: Validators | undefined;

/**
 * The validator in use for name: the pre-compiled standalone function the caller names, or with
 * TSRUN_SPEC_RUNTIME_AJV=1 the schemas compiled by ajv at run time. Each caller passes its own
 * standalone function (no lookup by name in the generated module), so a command's bundle holds
 * only the validators it uses: create's leaves out state's and features' (a fifth of the code).
 */
function validator(name: ValidatorName, standalone: unknown): SchemaValidator {
  if (!runtimeAjv()) return standalone as SchemaValidator;
  compiled ??= compileValidators();
  return compiled[name];
}

/** Whether the pre-compiled standalone validators are in use (false: compiled at run time). */
export function usingStandaloneValidators(): boolean {
  return !runtimeAjv();
}

/** The validator functions in use, by name. */
export function getValidators(): Readonly<Validators> {
  return {
    validateConfig: validator('validateConfig', standaloneConfig),
    validateProcess: validator('validateProcess', standaloneProcess),
    validateState: validator('validateState', standaloneState),
    validateFeatures: validator('validateFeatures', standaloneFeatures),
    validateImageLayout: validator('validateImageLayout', standaloneImageLayout),
    validateImageIndex: validator('validateImageIndex', standaloneImageIndex),
    validateImageManifest: validator('validateImageManifest', standaloneImageManifest),
    validateImageConfig: validator('validateImageConfig', standaloneImageConfig),
  };
}

/** Throws a ConfigError describing the first schema error, or returns `data` typed as T. */
function run<T>(v: SchemaValidator, data: unknown, source: string): T {
  if (v(data)) return data as T;
  throw new ConfigError(oneLine(`${source}: ${describeError(v.errors?.[0], data)}`, 600));
}

export interface ValidateOptions extends CheckOptions {
  /** Run the semantic checks (checks.ts) after the schema; default true. */
  checks?: boolean;
}

/**
 * Validates a parsed config.json against the schema, then (unless `checks: false`) the
 * semantic checks. Throws ConfigError with one line naming the field.
 */
export function validateSpec(obj: unknown, source = 'config.json', opts: ValidateOptions = {}): Spec {
  const spec = run<Spec>(validator('validateConfig', standaloneConfig), obj, source);
  if (opts.checks !== false) checkSpec(spec, source, opts);
  return spec;
}

/** Validates a runtime-spec Process object (the JSON file given to `exec --process`). */
export function validateProcess(obj: unknown, source = 'process.json', opts: { checks?: boolean; noNulInText?: boolean } = {}): Process {
  const proc = run<Process>(validator('validateProcess', standaloneProcess), obj, source);
  if (opts.checks !== false) checkProcess(proc, source, opts.noNulInText);
  return proc;
}

/** Validates an OCI state object (what `state` prints). */
export function validateState(obj: unknown, source = 'state.json'): State {
  return run<State>(validator('validateState', standaloneState), obj, source);
}

/** Validates a features object (what `features` prints). */
export function validateFeatures(obj: unknown, source = 'features.json'): Features {
  return run<Features>(validator('validateFeatures', standaloneFeatures), obj, source);
}

/** The image-spec documents tsrun reads (src/image), by their validator's name. */
const IMAGE_VALIDATORS = {
  validateImageLayout: standaloneImageLayout,
  validateImageIndex: standaloneImageIndex,
  validateImageManifest: standaloneImageManifest,
  validateImageConfig: standaloneImageConfig,
} as const;

/** Validates an image-spec document (`source` names it in the error: the blob or file). */
export function validateImageDocument<T>(name: keyof typeof IMAGE_VALIDATORS, obj: unknown, source: string): T {
  return run<T>(validator(name, IMAGE_VALIDATORS[name]), obj, source);
}

/**
 * One line for an ajv error: `<pointer>: <what is wrong>`, naming the property for
 * required/additionalProperties and listing the allowed values of an enum.
 */
export function describeError(e: ErrorObject | undefined, root: unknown): string {
  if (!e) return 'invalid';
  const at = e.instancePath;
  const p = e.params as Record<string, unknown>;
  const value = valueAt(root, at);
  // An error inside propertyNames is about a key of the object at `at`, not about a value.
  if (e.propertyName !== undefined) return `${pointer(at)}: property name ${show(e.propertyName)} is not allowed`;
  switch (e.keyword) {
    case 'required':
      return `${pointer(`${at}/${escapeToken(String(p.missingProperty))}`)}: is required`;
    case 'additionalProperties':
      return `${pointer(`${at}/${escapeToken(String(p.additionalProperty))}`)}: is not an allowed property here`;
    case 'propertyNames':
      return `${pointer(at)}: property name ${show(p.propertyName)} is not allowed`;
    case 'type':
      return `${pointer(at)}: must be ${article(String(p.type))}, got ${typeName(value)}`;
    case 'enum':
      return `${pointer(at)}: must be one of ${(p.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')} (got ${show(value)})`;
    case 'const':
      return `${pointer(at)}: must be ${show(p.allowedValue)} (got ${show(value)})`;
    case 'pattern':
      return `${pointer(at)}: must match ${p.pattern} (got ${show(value)})`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${pointer(at)}: must be ${p.comparison} ${p.limit} (got ${show(value)})`;
    case 'minItems':
      return `${pointer(at)}: must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`;
    case 'minLength':
      return `${pointer(at)}: must not be empty`;
    default:
      return `${pointer(at)}: ${oneLine(e.message ?? e.keyword)}`;
  }
}

/** A JSON pointer for display: `(root)` for the whole document, control characters escaped. */
function pointer(p: string): string {
  return p === '' ? '(root)' : oneLine(p, 200);
}

function escapeToken(t: string): string {
  return t.replace(/~/g, '~0').replace(/\//g, '~1');
}

function valueAt(root: unknown, ptr: string): unknown {
  let node = root;
  for (const raw of ptr.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' && !Number.isFinite(v)) return 'a number out of range';
  if (typeof v === 'number' && !Number.isInteger(v)) return `a fraction (${v})`;
  return `${article(typeof v)} (${show(v)})`;
}

function article(t: string): string {
  const name = t === 'object' ? 'an object' : t === 'array' ? 'an array' : t === 'integer' ? 'an integer' : `a ${t}`;
  return name.replace(/^a (?=[aeiou])/, 'an ');
}

/** A short one-line rendering of a value for messages. */
function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'an array' : 'an object') : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return oneLine(s, 60);
}
