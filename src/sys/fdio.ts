/**
 * Output on raw fds. The CLI writes stdout and stderr with write(2), never through
 * process.stdout/stderr: those streams may flip O_NONBLOCK on an fd the caller shares, and
 * setting them up costs a compiled Bun program time that a one-line answer does not need.
 */
import { writeSync } from 'node:fs';

/** Writes all of bytes to fd, in as many write(2) calls as the fd takes them in. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
}

// TextEncoder, not Buffer: a compiled Bun program sets Buffer up on first use (0.25 ms of a `state`).
export function writeOut(text: string): void {
  writeAll(1, new TextEncoder().encode(text));
}

export function writeErr(text: string): void {
  writeAll(2, new TextEncoder().encode(text));
}
