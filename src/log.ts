/**
 * Warnings and --debug notes from anywhere in tsrun (lifecycle, cgroups), to the command's
 * logger (src/cli/log.ts: stderr, and --log). The logger lives on a global, so that a command
 * bundle (each with its own copy of this module) reaches the one the CLI made. Without --debug a
 * debug note costs one look at that global: callers test debugOn() before building its text.
 */
export type Level = 'debug' | 'info' | 'warning' | 'error';

export interface LogSink {
  log(level: Level, msg: string): void;
  debug: boolean;
}

const KEY = Symbol.for('tsrun.log');
const g = globalThis as { [KEY]?: LogSink };

/** Makes `sink` where warn() and debug() go (the CLI, once its flags are parsed). */
export function setLogSink(sink: LogSink | undefined): void {
  g[KEY] = sink;
}

/** True with --debug: only then is a debug note's text worth building. */
export function debugOn(): boolean {
  return g[KEY]?.debug === true;
}

export function debug(msg: string): void {
  g[KEY]?.log('debug', msg);
}

export function warn(msg: string): void {
  const sink = g[KEY];
  if (sink) sink.log('warning', msg);
  else process.stderr.write(`warning: ${msg}\n`);
}
