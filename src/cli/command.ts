/** The shape of one command module: yargs declarations plus a handler returning an exit code. */
import type { Argv } from 'yargs';
import type { Context, GlobalArgs } from './context.js';

export interface TsrunCommand<A = Record<string, unknown>> {
  command: string;
  describe: string;
  builder?: (y: Argv) => Argv;
  /** false for a command tsrun lists but does not do yet: its --help fails too. */
  supported?: boolean;
  /** The exit status of the command's own failures (not usage errors); 1 when not given. */
  failureStatus?: number;
  /** Its failures start with the command and the container: `tsrun: create ID: cause`. */
  failureNamesContainer?: boolean;
  run(args: A & GlobalArgs, ctx: Context): Promise<number | void> | number | void;
}

/** The container id positional, as a string even when it looks like a number. */
export const idPositional = (y: Argv) => y.positional('id', { type: 'string', describe: 'container id' });
