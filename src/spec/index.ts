/**
 * The spec layer: load config.json, validate it against the project's JSON Schemas
 * (schemas/*.json, pre-compiled by ajv at build time) and run runc-style named semantic checks.
 * Every failure is a ConfigError with one line naming the file and the field.
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
  type CheckOptions,
  type SpecCheck,
  type ProcessCheck,
} from './checks.js';
export type * from './types.generated.js';
