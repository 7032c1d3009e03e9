/**
 * How the CLI ends. koffi's addon, once loaded, flushes stdout and stderr with fsync(2) when the
 * process exits (an atexit flush of its own stream writers): on a regular file that is a journal
 * commit (docs/performance.md), for output tsrun has already written with write(2). So when koffi is
 * loaded (sys/koffi.ts registers _exit(2) here), the process ends with _exit once Node's 'exit'
 * listeners (the code-cache writer, the trace) have run, skipping the atexit handlers. tsrun's own
 * addon registers its _exit too (sys/addon.ts), which skips Node's teardown. Nothing is
 * lost: tsrun writes its output with write(2), and Node's stdout and stderr are synchronous on
 * Linux for files, pipes and terminals alike.
 *
 * The hook lives on a global: the Node dispatcher and the command bundle it loads each have their
 * own copy of this module.
 */
const KEY = Symbol.for('tsrun.final-exit');
type Holder = { [KEY]?: (code: number) => void };

/** Called once an FFI is loaded: how to end the process without atexit handlers. */
export function setFinalExit(end: (code: number) => void): void {
  (globalThis as Holder)[KEY] = end;
}

/** process.exit(code), ended by the registered _exit after every other 'exit' listener. */
export function exitProcess(code: number): never {
  const end = (globalThis as Holder)[KEY];
  // Added now, so it is the last listener: the others run first.
  if (end) process.once('exit', (c: number | undefined) => end(typeof c === 'number' ? c : code));
  return process.exit(code);
}
