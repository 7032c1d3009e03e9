/**
 * Where the project's JSON Schemas live and how ajv is set up for them. Shared by the build-time
 * generator (scripts/gen-types.ts writes the standalone validators) and by validate.ts's fallback
 * that compiles the schemas at run time, so both paths validate identically.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findAbove } from '../install-paths.js';
import { nodeModule } from '../sys/builtins.js';
import type { Ajv, Options } from 'ajv';

export const SCHEMA_BASE = 'https://tsrun.invalid/schemas/';

/** Every schema file, in the order they are added to ajv (the order fixes generated names). */
export const SCHEMA_FILES = [
  'defs.json',
  'config.schema.json',
  'config-linux.json',
  'config-platforms.json',
  'state.schema.json',
  'features.schema.json',
  'image-defs.json',
  'image-layout.schema.json',
  'image-index.schema.json',
  'image-manifest.schema.json',
  'image-config.schema.json',
] as const;

/** The validators tsrun uses, by exported name, with the schema each one checks. */
export const VALIDATORS = {
  validateConfig: `${SCHEMA_BASE}config.schema.json`,
  validateProcess: `${SCHEMA_BASE}config.schema.json#/definitions/process`,
  validateState: `${SCHEMA_BASE}state.schema.json`,
  validateFeatures: `${SCHEMA_BASE}features.schema.json`,
  validateImageLayout: `${SCHEMA_BASE}image-layout.schema.json`,
  validateImageIndex: `${SCHEMA_BASE}image-index.schema.json`,
  validateImageManifest: `${SCHEMA_BASE}image-manifest.schema.json`,
  validateImageConfig: `${SCHEMA_BASE}image-config.schema.json`,
} as const;

export type ValidatorName = keyof typeof VALIDATORS;

/**
 * allErrors off: validation stops at the first failure, which is both the fastest and the error
 * we report. inlineRefs off: each shared definition becomes one function instead of being copied
 * into every user, which keeps the generated module (parsed on every CLI call) small.
 */
export function ajvOptions(standalone: boolean): Options {
  return {
    allErrors: false,
    strict: true,
    inlineRefs: false,
    ...(standalone ? { code: { source: true, esm: true, lines: true } } : {}),
  };
}

/** The schemas/ directory: the nearest one above this module (src/spec or dist/src/spec). */
export function findSchemasDir(from: string = import.meta.dirname): string {
  const found = findAbove(from, join('schemas', 'config.schema.json'));
  if (!found) throw new Error(`schemas/config.schema.json not found above ${from}`);
  return dirname(found);
}

/** Parsed schema files by file name. */
export function readSchemas(dir: string = findSchemasDir()): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const f of SCHEMA_FILES) out[f] = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  return out;
}

/**
 * An ajv instance holding every schema. ajv is loaded with require() only here, so the normal
 * path (the pre-compiled standalone validators) never loads it.
 */
export function createAjv(
  schemas: Record<string, Record<string, unknown>>,
  standalone: boolean,
): Ajv {
  const require = nodeModule().createRequire(import.meta.filename);
  const AjvCtor = require('ajv').Ajv as typeof Ajv;
  const ajv = new AjvCtor(ajvOptions(standalone));
  for (const f of SCHEMA_FILES) ajv.addSchema(schemas[f]!);
  return ajv;
}
