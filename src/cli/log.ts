/**
 * Error and warning output. One plain line on stderr always; with --log, also a line in the log
 * file: text, or runc's logrus JSON with --log-format json (containerd's shim stream-decodes the
 * whole file and shows the last "error" msg; podman json-decodes it, so nothing else goes there).
 */
import { O, closeFile, openFile, writeAll } from '../sys/file.js';
import { UsageError } from '../errors.js';
import { writeErr } from '../sys/fdio.js';
import { isoTimestamp } from '../state/timestamp.js';

export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warning' | 'error';

export interface Logger {
  log(level: Level, msg: string): void;
  debug: boolean;
}

export function checkLogFormat(format: string | undefined): LogFormat {
  const f = format ?? 'text';
  if (f !== 'text' && f !== 'json') throw new UsageError(`unknown log-format "${f}"`);
  return f;
}

/** One log line; `now` in ms since the epoch. */
export function formatLogLine(level: Level, msg: string, format: LogFormat, now = Date.now()): string {
  const time = isoTimestamp(now);
  if (format === 'json') return JSON.stringify({ level, msg, time }) + '\n';
  return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

export function makeLogger(opts: { log?: string; logFormat?: string; debug?: boolean }): Logger {
  const format = checkLogFormat(opts.logFormat);
  const debug = opts.debug === true;
  return {
    debug,
    log(level, msg) {
      if (level === 'debug' && !debug) return;
      if (level === 'error' || level === 'warning' || debug) writeErr(`${level === 'error' ? '' : `${level}: `}${msg}\n`);
      if (!opts.log) return;
      let fd: number | undefined;
      try {
        fd = openFile(opts.log, O.WRONLY | O.CREAT | O.APPEND, 0o644);
        writeAll(fd, formatLogLine(level, msg, format));
      } catch {
        /* the log is best effort: stderr already has the message */
      } finally {
        if (fd !== undefined) closeFile(fd);
      }
    },
  };
}
