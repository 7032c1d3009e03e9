import { warmAttachLock } from '../cgroups/warmup.js';
import { UnsupportedError } from '../errors.js';
import { execProcess } from '../lifecycle/exec.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';

interface ExecFlags {
  id?: string;
  process?: string;
  tty?: boolean;
  cwd?: string;
  env?: string[];
  user?: string;
  'additional-gids'?: number[];
  cap?: string[];
  'no-new-privs'?: boolean;
  detach?: boolean;
  'pid-file'?: string;
  'console-socket'?: string;
  'pidfd-socket'?: string;
  'preserve-fds'?: number;
  'ignore-paused'?: boolean;
  'process-label'?: string;
  apparmor?: string;
  cgroup?: string[];
}

export default {
  command: 'exec [id]',
  describe: 'run a new process inside a container: exec [flags] ID COMMAND [ARGS...] or --process FILE',
  failureNamesContainer: true,
  // runc's: a caller tells tsrun's own failure from the process exiting 1.
  failureStatus: 255,
  builder: (y) =>
    idPositional(y)
      .option('process', { alias: 'p', type: 'string', describe: 'runtime-spec Process JSON file' })
      .option('tty', { alias: 't', type: 'boolean', describe: 'allocate a pty' })
      .option('cwd', { type: 'string', describe: 'working directory' })
      .option('env', { alias: 'e', type: 'string', array: true, describe: 'add an environment variable' })
      .option('user', { alias: 'u', type: 'string', describe: 'uid[:gid]' })
      .option('additional-gids', { alias: 'g', type: 'number', array: true, describe: 'additional gids' })
      .option('cap', { alias: 'c', type: 'string', array: true, describe: 'add a capability' })
      .option('no-new-privs', { type: 'boolean', describe: 'set no_new_privs' })
      .option('detach', { alias: 'd', type: 'boolean', describe: 'do not wait for the process' })
      .option('pid-file', { type: 'string', describe: 'file to write the process pid to' })
      .option('console-socket', { type: 'string', describe: 'AF_UNIX socket that receives the pty master' })
      .option('pidfd-socket', { type: 'string', describe: 'not supported yet' })
      .option('preserve-fds', { type: 'number', default: 0, describe: 'pass N more fds (from 3)' })
      .option('ignore-paused', { type: 'boolean', describe: 'allow exec in a paused container' })
      .option('process-label', { type: 'string', describe: 'SELinux label of the process (refused where SELinux is not enabled)' })
      .option('apparmor', { type: 'string', describe: 'AppArmor profile of the process (refused where AppArmor is not enabled)' })
      .option('cgroup', { type: 'string', array: true, describe: 'join a sub-cgroup of the container: PATH, or CONTROLLER[,CONTROLLER]:PATH (repeatable)' }),
  async run(a, ctx) {
    if (a['pidfd-socket']) throw new UnsupportedError('exec: --pidfd-socket is not supported by this version of tsrun');
    // exec writes a pid into a cgroup.procs soon: start the kernel's slow first attach now
    // (cgroups/warmup.ts). create and run let the executor join by itself, without that lock.
    warmAttachLock();
    return execProcess(ctx.store, {
      id: checkContainerId(a.id),
      processFile: a.process,
      args: ctx.rest,
      tty: a.tty,
      cwd: a.cwd,
      env: a.env,
      user: a.user,
      additionalGids: a['additional-gids'],
      caps: a.cap,
      noNewPrivs: a['no-new-privs'],
      apparmor: a.apparmor,
      processLabel: a['process-label'],
      subCgroups: a.cgroup,
      detach: a.detach === true,
      pidFile: a['pid-file'],
      consoleSocket: a['console-socket'],
      preserveFds: a['preserve-fds'],
      ignorePaused: a['ignore-paused'],
      debug: (m) => ctx.logger.log('debug', m),
    });
  },
} satisfies TsrunCommand<ExecFlags>;
