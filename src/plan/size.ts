/** The bound on a plan's size: the executor reads one PLAN frame of at most MAX_FRAME bytes. */
import { ConfigError } from '../errors.js';
import { MAX_PLAN_BYTES, planSize, type PlanOp } from '../executor/protocol.js';

/** Room left in a PLAN frame for the ops added after planning (hook SYNC points). */
const PLAN_RESERVE = 64 * 1024;

/**
 * The executor reads a plan of at most MAX_PLAN_BYTES: a config whose strings (env, args, mounts,
 * paths) add up to more is refused here, naming the file, rather than when the plan is encoded.
 */
export function checkPlanSize(ops: readonly PlanOp[], source: string): void {
  const max = MAX_PLAN_BYTES - PLAN_RESERVE;
  // The bound first: no string encoded for the plans far below the limit (every real one).
  if (planSize(ops, true) <= max) return;
  const n = planSize(ops);
  if (n > max) throw new ConfigError(`${source}: the set-up plan would take ${n} bytes, more than the executor accepts (${max}): too many or too long strings (env, args, mounts, paths)`);
}
