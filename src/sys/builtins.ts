/**
 * Node built-in modules that cost start-up time, loaded where they are used instead of imported
 * at the top. A compiled Bun program (what `make` builds) evaluates every static import of the
 * whole program before main runs, so each of these would be paid by a `state` that needs none
 * of them (docs/performance.md has the figures). node:fs is one of them: the code every command
 * runs reads and writes files through sys/file.ts instead, which goes to libc there.
 * process.getBuiltinModule (Node >= 20.16, Bun) loads a module on its first call and returns the
 * same object after.
 */
/** node:fs, for what sys/file.ts does not cover (recursive mkdir and rm, readdir, stat). */
export const nodeFs = (): typeof import('node:fs') => process.getBuiltinModule('node:fs');
export const childProcess = (): typeof import('node:child_process') => process.getBuiltinModule('node:child_process');
export const os = (): typeof import('node:os') => process.getBuiltinModule('node:os');
export const url = (): typeof import('node:url') => process.getBuiltinModule('node:url');
export const nodeModule = (): typeof import('node:module') => process.getBuiltinModule('node:module');
export const util = (): typeof import('node:util') => process.getBuiltinModule('node:util');

interface BunHasher {
  update(data: Uint8Array | string): BunHasher;
  digest(encoding: 'hex'): string;
}

export interface BunSubprocess {
  pid: number;
  stdio: Array<number | null | undefined>;
  exited: Promise<number>;
  exitCode: number | null;
  signalCode: string | null;
  kill(signal?: number | string): void;
}

/** Bun.FFI, the native side of bun:ffi (sys/bun-libc.ts): type names as strings, no argument conversion. */
export interface BunFfi {
  dlopen<T extends Record<string, { args: readonly string[]; returns: string }>>(
    path: string,
    symbols: T,
  ): { symbols: { [K in keyof T]: (...args: Array<number | ArrayBufferView | null>) => number } };
  read: { i32(ptr: number, offset: number): number };
}

/** The parts of Bun's global object tsrun uses, typed here (the project has no Bun typings). */
export interface BunRuntime {
  FFI?: BunFfi;
  CryptoHasher: new (algorithm: string) => BunHasher;
  spawn(cmd: string[], opts: object): BunSubprocess;
  spawnSync(cmd: string[], opts: object): { exitCode: number | null; stderr?: Uint8Array };
  file(fd: number): { stream(): ReadableStream<Uint8Array> };
}

/** Bun's global when running on Bun, else undefined. */
export function bunRuntime(): BunRuntime | undefined {
  return (globalThis as { Bun?: BunRuntime }).Bun;
}

/** SHA-256 in hex: Bun's native hasher under Bun (no module to load), node:crypto elsewhere. */
export function sha256hex(data: Uint8Array | string): string {
  const bun = bunRuntime();
  if (bun) return new bun.CryptoHasher('sha256').update(data).digest('hex');
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(data).digest('hex');
}
