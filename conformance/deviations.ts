// Known deviations from runtime.md, declared per runtime (the NAME of --runtime NAME=COMMAND) and
// test. A test that sees one of the behaviours below throws a Deviation naming it; the runner
// then judges by this table, not by the behaviour alone:
//   - declared for that runtime and test, and seen: skip, "known deviation of <runtime>: ...";
//   - declared, but the runtime conforms now: fail, so the table is kept true;
//   - seen, but not declared for that runtime and test: fail, as any other non-conformance.
// So a runtime that regresses into a deviation others are allowed is reported as failing.

/** The deviant behaviours the tests recognise, each as it is seen. */
export const DEVIATIONS = {
  'poststart-at-create': 'poststart hooks run during create, before start',
  'start-hook-failure-keeps-container': 'after a failing start-time hook the container is stopped but kept until delete, not destroyed',
  'startContainer-after-start':
    'startContainer hooks run in the container init after `start` has returned, so start cannot report their failure; the program does not run and the container stops',
  'poststop-stops-at-failure': 'poststop hooks stop at the first one that fails',
  'delete-created-destroys': '`delete` of a created container kills and destroys it instead of failing',
} as const;
export type DeviationKind = keyof typeof DEVIATIONS;

export interface DeclaredDeviation {
  deviation: DeviationKind;
  /** Why it is accepted for this runtime: on purpose, or the upstream discussion. */
  reason: string;
}

/** Runtime name -> test name -> its declared deviation. */
export type DeviationTable = Readonly<Record<string, Readonly<Record<string, DeclaredDeviation>>>>;

const deleteCreated = (reason: string): DeclaredDeviation => ({ deviation: 'delete-created-destroys', reason });
const TSRUN_START_HOOK: DeclaredDeviation = {
  deviation: 'start-hook-failure-keeps-container',
  reason: "followed on purpose, as runc: start fails and stops the container, which stays for the caller's delete; containerd deletes it after a failed start",
};
const RUNC_POSTSTART_AT_CREATE: DeclaredDeviation = { deviation: 'poststart-at-create', reason: 'opencontainers/runc#1710, fixed on runc main by #5186' };

export const KNOWN_DEVIATIONS: DeviationTable = {
  tsrun: {
    'lifecycle.startContainer-hook-fails': TSRUN_START_HOOK,
    'lifecycle.poststart-hook-fails': TSRUN_START_HOOK,
    'delete.created': deleteCreated("followed on purpose, as runc: containerd's created state's Delete runs a plain delete and relies on it"),
  },
  runc: {
    'lifecycle.poststart-hooks': RUNC_POSTSTART_AT_CREATE,
    'lifecycle.poststart-hook-fails': RUNC_POSTSTART_AT_CREATE,
    'lifecycle.startContainer-hook-fails': { deviation: 'startContainer-after-start', reason: 'runc runs these hooks in its init process, after start returned' },
    'lifecycle.poststop-hook-fails': { deviation: 'poststop-stops-at-failure', reason: 'opencontainers/runc#1765' },
    'delete.created': deleteCreated("runc's own behaviour, which containerd relies on"),
  },
  crun: {
    'lifecycle.startContainer-hook-fails': { deviation: 'startContainer-after-start', reason: 'as runc: crun runs these hooks in the container, after start returned' },
    'delete.created': deleteCreated('as runc, which containerd relies on'),
  },
};

/** The thrown form: a test saw DEVIATIONS[kind]. */
export class Deviation extends Error {
  constructor(readonly deviation: DeviationKind) {
    super(DEVIATIONS[deviation]);
  }
}

export type Outcome = { kind: 'pass' } | { kind: 'fail'; reason: string } | { kind: 'skip'; reason: string };
/** What a test run gave before the table is consulted. */
export type Observed = Outcome | { kind: 'deviation'; deviation: DeviationKind };

/** The outcome reported for `test` on `runtime`, given what the test observed and the table. */
export function judge(runtime: string, test: string, seen: Observed, table: DeviationTable = KNOWN_DEVIATIONS): Outcome {
  const declared = table[runtime]?.[test];
  if (seen.kind === 'deviation') {
    if (declared?.deviation === seen.deviation) {
      return { kind: 'skip', reason: `known deviation of ${runtime}: ${DEVIATIONS[seen.deviation]} (${declared.reason})` };
    }
    const other = declared ? `; the one declared is: ${DEVIATIONS[declared.deviation]}` : '';
    return { kind: 'fail', reason: `${DEVIATIONS[seen.deviation]}: a deviation not declared for ${runtime} in this test${other}` };
  }
  if (declared && seen.kind === 'pass') {
    return {
      kind: 'fail',
      reason: `declared deviation no longer seen (${DEVIATIONS[declared.deviation]}); remove it from the table (conformance/deviations.ts)`,
    };
  }
  return seen;
}
