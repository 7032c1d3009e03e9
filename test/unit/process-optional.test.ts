import test from 'ava';
import { defaultSpec } from '../../src/lifecycle/default-spec.js';
import { buildCreatePlan } from '../../src/plan/index.js';
import { Op } from '../../src/executor/protocol.js';
import { validateSpec, type Spec } from '../../src/spec/index.js';

const withoutProcess = (): Spec => {
  const s = defaultSpec({ hardened: true }) as any;
  delete s.process;
  s.hostname = 'box';
  return s as Spec;
};

test('a config without process passes the checks for create, not for start', (t) => {
  t.notThrows(() => validateSpec(withoutProcess(), 'config.json', { forStart: false }));
  t.throws(() => validateSpec(withoutProcess(), 'config.json', { forStart: true }), { message: 'config.json: /process: is required to start a container' });
});

test('without process, the plan sets the container up and ends at the start gate, with nothing to exec', (t) => {
  const { ops } = buildCreatePlan(withoutProcess(), { rootfs: '/r', bundle: '/b', extraFds: 0, fifoPath: '/run/x/exec.fifo' });
  const codes = ops.map((o) => o.op);
  t.true(codes.includes(Op.PIVOT_ROOT) && codes.includes(Op.SETHOSTNAME), 'the rest of the container is made');
  t.deepEqual(codes.slice(-3), [Op.READY, Op.CLOSE_SYNC, Op.WAIT_FIFO]);
  for (const op of [Op.RESOLVE_EXEC, Op.EXECVE, Op.SETRESUID, Op.CAPSET, Op.CONSOLE, Op.RLIMIT]) t.false(codes.includes(op), Op[op]);
});
