/**
 * Error and warning output. One plain line on stderr always; with --log, also a line in the log
 * file: runc's logrus text (`time="..." level=debug msg="..."`), or its JSON with --log-format
 * json (containerd's shim stream-decodes the whole file and shows the last "error" msg; podman
 * json-decodes it). With --debug, each step's note too, on stderr when there is no --log. The
 * file is made as the command starts, as runc's is, and written through one descriptor.
 */
import { O, openFile, writeAll } from '../sys/file.js';
import { UsageError } from '../errors.js';
import { writeErr } from '../sys/fdio.js';
import { isoTimestamp } from '../state/timestamp.js';
import type { Level, LogSink } from '../log.js';

export type LogFormat = 'text' | 'json';
export type { Level } from '../log.js';

export type Logger = LogSink;

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

/** The --log file, opened (made) once: undefined without --log, or when it cannot be opened. */
function openLog(path: string | undefined): number | undefined {
  if (!path) return undefined;
  try {
    return openFile(path, O.WRONLY | O.CREAT | O.APPEND, 0o644);
  } catch {
    return undefined; // the log is best effort: stderr has every message
  }
}

export function makeLogger(opts: { log?: string; logFormat?: string; debug?: boolean }): Logger {
  const format = checkLogFormat(opts.logFormat);
  const debug = opts.debug === true;
  const fd = openLog(opts.log);
  return {
    debug,
    log(level, msg) {
      if (level === 'debug' && !debug) return;
      // Errors and warnings always reach stderr; debug notes when there is no log file for them.
      if (level === 'error' || level === 'warning' || (fd === undefined && !opts.log)) writeErr(`${level === 'error' ? '' : `${level}: `}${msg}\n`);
      if (fd === undefined) return;
      try {
        writeAll(fd, formatLogLine(level, msg, format));
      } catch {
        /* the log is best effort: stderr already has the message */
      }
    },
  };
}

