/** The conformance runner's judgement of known deviations (conformance/deviations.ts). */
import test from 'ava';
import { DEVIATIONS, KNOWN_DEVIATIONS, judge, type DeviationTable } from '../../conformance/deviations.js';
import { tests } from '../../conformance/tests.js';

const TABLE: DeviationTable = { rt: { 'delete.created': { deviation: 'delete-created-destroys', reason: 'on purpose' } } };

test('a declared deviation that is seen is a skip naming the runtime, the behaviour and the reason', (t) => {
  t.deepEqual(judge('rt', 'delete.created', { kind: 'deviation', deviation: 'delete-created-destroys' }, TABLE), {
    kind: 'skip',
    reason: `known deviation of rt: ${DEVIATIONS['delete-created-destroys']} (on purpose)`,
  });
});

test('a declared deviation no longer seen fails, asking for the table to be mended', (t) => {
  const r = judge('rt', 'delete.created', { kind: 'pass' }, TABLE);
  t.is(r.kind, 'fail');
  t.regex((r as { reason: string }).reason, /^declared deviation no longer seen .*; remove it from the table/);
});

test('a deviation seen where none is declared fails: another runtime, another test, or another deviation', (t) => {
  const seen = { kind: 'deviation', deviation: 'delete-created-destroys' } as const;
  t.is(judge('other', 'delete.created', seen, TABLE).kind, 'fail');
  t.is(judge('rt', 'delete.resources', seen, TABLE).kind, 'fail');
  const r = judge('rt', 'delete.created', { kind: 'deviation', deviation: 'poststart-at-create' }, TABLE);
  t.is(r.kind, 'fail');
  t.regex((r as { reason: string }).reason, /not declared for rt in this test; the one declared is: /);
});

test('other outcomes pass through, declared or not', (t) => {
  for (const seen of [{ kind: 'fail', reason: 'x' }, { kind: 'skip', reason: 'y' }] as const) {
    t.deepEqual(judge('rt', 'delete.created', seen, TABLE), seen);
    t.deepEqual(judge('other', 'delete.created', seen, TABLE), seen);
  }
  t.deepEqual(judge('other', 'delete.created', { kind: 'pass' }, TABLE), { kind: 'pass' });
});

test('every declared deviation names a test that exists and gives a reason', (t) => {
  const names = new Set(tests.map((x) => x.name));
  for (const [runtime, byTest] of Object.entries(KNOWN_DEVIATIONS)) {
    for (const [name, d] of Object.entries(byTest)) {
      t.true(names.has(name), `${runtime}: no test ${name}`);
      t.true(d.deviation in DEVIATIONS && d.reason.length > 0, `${runtime} / ${name}`);
    }
  }
});
