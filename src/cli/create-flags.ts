/** Flags shared by create and run (runc's create.go / run.go). */
import type { Argv } from 'yargs';
import type { CreateOptions } from '../lifecycle/create.js';
import { checkContainerId } from '../state/store.js';
import type { Context } from './context.js';

export interface CreateFlags {
  bundle?: string;
  'pid-file'?: string;
  'console-socket'?: string;
  'pidfd-socket'?: string;
  'no-pivot'?: boolean;
  'no-new-keyring'?: boolean;
  'preserve-fds'?: number;
  detach?: boolean;
}

export function createFlags(y: Argv): Argv {
  return y
    .option('bundle', { alias: 'b', type: 'string', describe: 'path to the bundle (default: current directory)' })
    .option('pid-file', { type: 'string', describe: 'file to write the init pid to' })
    .option('console-socket', { type: 'string', describe: 'AF_UNIX socket that receives the pty master' })
    .option('pidfd-socket', { type: 'string', describe: 'AF_UNIX socket that receives a pidfd of the init (not supported yet)' })
    .option('no-pivot', { type: 'boolean', describe: 'do not use pivot_root (move mount + chroot)' })
    .option('no-new-keyring', { type: 'boolean', describe: 'do not create a new session keyring' })
    .option('preserve-fds', { type: 'number', default: 0, describe: 'pass N more fds (from 3) to the container' })
    .option('detach', { alias: 'd', type: 'boolean', describe: 'detach from the container process' });
}

/** The create options both `create` and `run` take from their flags. */
export function createOptionsFrom(a: CreateFlags & { id?: string }, ctx: Context): Omit<CreateOptions, 'detached'> {
  return {
    id: checkContainerId(a.id),
    bundle: a.bundle,
    pidFile: a['pid-file'],
    consoleSocket: a['console-socket'],
    noPivot: a['no-pivot'],
    noNewKeyring: a['no-new-keyring'],
    preserveFds: a['preserve-fds'],
    debug: (m) => ctx.logger.log('debug', m),
    systemdCgroup: ctx.systemdCgroup,
  };
}
