/**
 * Reading config.json (and exec --process files): one clear line for a missing or unreadable
 * file and for invalid JSON, then schema validation and the semantic checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, describeCode } from '../errors.js';
import { oneLine } from './text.js';
import type { Process, Spec } from './types.generated.js';
import { validateProcess, validateSpec, type ValidateOptions } from './validate.js';

/** Reads a file as UTF-8 text; ConfigError `<source>: cannot read <path>: <reason>`. */
export function readText(path: string, source: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e?.code ? describeCode(e.code) : String(e?.message ?? err);
    throw new ConfigError(oneLine(`${source}: cannot read ${path}: ${reason}`, 600));
  }
}

/** JSON.parse with a ConfigError `<source>: invalid JSON: <reason>`. */
export function parseJson(text: string, source: string): unknown {
  // A UTF-8 byte order mark is not JSON, but editors write it; JSON.parse would reject it.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(oneLine(`${source}: invalid JSON: ${reason}`, 600));
  }
}

/**
 * Loads `<bundleDir>/config.json`, validates it against the schema and runs the checks.
 * `forStart` defaults to true here, which needs `process`. `create` passes `{ forStart: false }`:
 * a config without a process may be created, and `start` refuses it.
 */
export function loadSpec(bundleDir: string, opts: ValidateOptions = {}): Spec {
  const path = join(bundleDir, 'config.json');
  const source = 'config.json';
  const text = readText(path, source);
  return validateSpec(parseJson(text, source), source, { forStart: true, noNulInText: !mayHoldNul(text), ...opts });
}

/** Loads and validates an exec --process file (a runtime-spec Process object). */
export function loadProcess(path: string, source = 'process.json'): Process {
  const text = readText(path, source);
  return validateProcess(parseJson(text, source), source, { noNulInText: !mayHoldNul(text) });
}

/**
 * Whether a JSON text may hold a NUL in a string or key: JSON writes it only as the escape
 * `\u0000` (a raw control character is invalid JSON), so a text without that is NUL-free.
 */
export function mayHoldNul(jsonText: string): boolean {
  return jsonText.includes('\\u0000');
}
