/** What every command handler gets from the global flags. */
import { StateStore } from '../state/store.js';
import { makeLogger, type Logger } from './log.js';

export interface GlobalArgs {
  root?: string;
  log?: string;
  'log-format'?: string;
  debug?: boolean;
  'systemd-cgroup'?: boolean;
  rootless?: string;
}

export interface Context {
  store: StateStore;
  logger: Logger;
  /** Positional arguments after the container id (exec, kill, ps), untouched by the parser. */
  rest: string[];
  /** --systemd-cgroup: cgroupsPath is slice:prefix:name (refused clearly when systemd is absent). */
  systemdCgroup: boolean;
}

export function makeContext(argv: GlobalArgs, rest: string[], logger?: Logger): Context {
  return {
    store: new StateStore(argv.root),
    logger: logger ?? makeLogger({ log: argv.log, logFormat: argv['log-format'], debug: argv.debug }),
    rest,
    systemdCgroup: argv['systemd-cgroup'] === true,
  };
}
