/** What the plan tests share: a plan context and the hardened default spec, patched per test. */
import { defaultSpec } from '../../src/lifecycle/default-spec.js';
import type { PlanContext } from '../../src/plan/index.js';
import type { Spec } from '../../src/spec/index.js';

export const ctx: PlanContext = { rootfs: '/b/rootfs', bundle: '/b', fifoPath: '/run/tsrun/x/exec.fifo', extraFds: 0 };

export const spec = (patch: (s: any) => void = () => undefined): Spec => {
  const s = defaultSpec({ hardened: true }) as any;
  s.process.terminal = false;
  patch(s);
  return s as Spec;
};
