/**
 * Side-by-side tests: the same config run on tsrun and on runc (when installed), each a test of
 * its own, so a difference shows which runtime has the behaviour.
 */
import type { ExecutionContext } from 'ava';
import { eachRuntime, requireRootAndBuild, runRuntime, serialUnless, type Result } from './helpers.js';

export interface Runtime {
  name: string;
  bin: string;
}

/** Registers `body` once per runtime; a runtime that cannot run here is a skip with the reason. */
export function sideBySide(title: string, body: (t: ExecutionContext, rt: Runtime) => Promise<void>): void {
  eachRuntime(serialUnless(requireRootAndBuild()), (rt, it) => it(`${title} (${rt.name})`, (t) => body(t, rt)));
}

/** `run` of a bundle, the container deleted at teardown even when the test fails. */
export function runContainer(t: ExecutionContext, rt: Runtime, root: string, bundle: string, id: string): Promise<Result> {
  t.teardown(() => runRuntime(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
  return runRuntime(rt.bin, root, ['run', '-b', bundle, id]);
}
