/** Commands runc has that tsrun does not do yet: each fails with one clear line, never a no-op. */
import { UnsupportedError } from '../errors.js';
import type { TsrunCommand } from './command.js';

function notYet(name: string, describe: string): TsrunCommand {
  return {
    command: `${name} [args..]`,
    describe: `${describe} (not supported yet)`,
    builder: (y) => y.strict(false),
    supported: false,
    run() {
      throw new UnsupportedError(`${name}: not supported by this version of tsrun`);
    },
  };
}

export const checkpoint = notYet('checkpoint', 'checkpoint a running container');
export const restore = notYet('restore', 'restore a container from a checkpoint');
