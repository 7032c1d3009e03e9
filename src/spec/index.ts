/**
 * The spec layer: load config.json, validate it against the project's JSON Schemas
 * (schemas/*.json, pre-compiled by ajv at build time) and run runc-style named semantic checks.
 * Every failure is a ConfigError with one line naming the file and the field, e.g.
 *   config.json: /linux/namespaces/0/type: must be one of mount, pid, ... (got "pidx")
 */
export { loadSpec, loadProcess, parseJson } from './load.js';
export {
  validateSpec,
  validateProcess,
  validateState,
  validateFeatures,
  usingStandaloneValidators,
  type ValidateOptions,
} from './validate.js';
export {
  checkSpec,
  checkProcess,
  specChecks,
  processChecks,
  CAPABILITIES,
  HOOK_PHASES,
  type CheckOptions,
  type SpecCheck,
  type ProcessCheck,
  type ProcessCheckOptions,
} from './checks.js';
export type * from './types.generated.js';
