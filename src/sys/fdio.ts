/**
 * Output on raw fds. The CLI writes stdout and stderr with write(2) (sys/file.ts), never through
 * process.stdout/stderr: those streams may flip O_NONBLOCK on an fd the caller shares, and
 * setting them up costs a compiled Bun program time that a one-line answer does not need.
 * Strings are encoded with TextEncoder, not Buffer: a compiled Bun program sets Buffer up on
 * first use, a cost a `state` need not pay.
 */
import { writeAll } from './file.js';

export function writeOut(text: string): void {
  writeAll(1, text);
}

/**
 * Best effort, as runc's logrus is: the caller may hand over an fd 2 that cannot be written
 * (containerd's shim gives a pod sandbox's `create` /dev/null opened read-only). Throwing here
 * would turn the failure being reported into a crash before the --log file gets its line.
 */
export function writeErr(text: string): void {
  try {
    writeAll(2, text);
  } catch {
    /* nowhere else to say it */
  }
}
