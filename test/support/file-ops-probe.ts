/**
 * Runs sys/file.ts through its cases in a temp dir, then sys/libc.ts's subreaper and waitpid and
 * sys/pidfd.ts's signals, and prints one JSON object: what each call returned or threw.
 * test/unit/file-ops.test.ts runs it on Node (node:fs, and tsrun's addon or koffi underneath) and
 * on Bun (libc through Bun.FFI) and expects the same answers. Usage: <engine> file-ops-probe.js
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  O,
  closeFile,
  fileBackend,
  makeDir,
  openFile,
  pathExists,
  readInto,
  readText,
  removeDir,
  renamePath,
  unlinkPath,
  writeAll,
  writeFileWith,
} from '../../src/sys/file.js';
import { processBackend, setChildSubreaper, waitPidNow } from '../../src/sys/libc.js';
import { signalSameProcess } from '../../src/sys/pidfd.js';
import { readProcStat } from '../../src/sys/proc.js';

type Outcome = { ok: unknown } | { code?: string; errno?: number; syscall?: string; path?: string };

function attempt(fn: () => unknown): Outcome {
  try {
    return { ok: fn() ?? null };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // Paths relative to the temp dir: the two runs have different ones.
    return { code: err.code, errno: err.errno, syscall: err.syscall, path: err.path?.replace(dir, '<dir>') };
  }
}

/** The close-on-exec bit of an open fd, from /proc/self/fdinfo (flags are octal). */
function cloexec(fd: number): boolean {
  const flags = /flags:\s*([0-7]+)/.exec(readText(`/proc/self/fdinfo/${fd}`))![1]!;
  return (parseInt(flags, 8) & O.CLOEXEC) !== 0;
}

const dir = mkdtempSync(`${tmpdir()}/tsrun-fileops-`);
const out: Record<string, unknown> = { backend: fileBackend(), processBackend: processBackend() };
try {
  const big = `${'ä€𝄞'.repeat(2000)}\nend`; // multi-byte text longer than the first 8 KiB read
  const f = `${dir}/file`;
  out.write = attempt(() => writeFileWith(f, big, O.WRONLY | O.CREAT | O.TRUNC, 0o600));
  out.readBack = readText(f) === big;
  out.exclusiveAgain = attempt(() => writeFileWith(f, 'x', O.WRONLY | O.CREAT | O.EXCL, 0o600));
  out.noCreate = attempt(() => writeFileWith(`${dir}/absent`, 'x', O.WRONLY));
  out.readMissing = attempt(() => readText(`${dir}/absent`));
  out.procStat = readText('/proc/self/stat').startsWith(`${process.pid} (`);
  out.exists = [pathExists(f), pathExists(`${dir}/absent`), pathExists(`${f}\0x`)];
  out.nulPath = attempt(() => readText(`${f}\0x`)).hasOwnProperty('ok');

  const log = `${dir}/log`;
  for (const line of ['one\n', 'two\n']) {
    const fd = openFile(log, O.WRONLY | O.CREAT | O.APPEND, 0o644);
    out.logCloexec = cloexec(fd);
    writeAll(fd, line);
    closeFile(fd);
  }
  out.appended = readText(log);

  out.mkdir = attempt(() => makeDir(`${dir}/d`, 0o711));
  out.mkdirAgain = attempt(() => makeDir(`${dir}/d`, 0o711));
  writeFileWith(`${dir}/d/inner`, 'x', O.WRONLY | O.CREAT, 0o600);
  out.rmdirBusy = attempt(() => removeDir(`${dir}/d`));
  out.rename = attempt(() => renamePath(`${dir}/d/inner`, `${dir}/moved`));
  out.renameMissing = attempt(() => renamePath(`${dir}/d/inner`, `${dir}/moved2`));
  out.rmdir = attempt(() => removeDir(`${dir}/d`));
  out.unlink = attempt(() => unlinkPath(`${dir}/moved`));
  out.unlinkMissing = attempt(() => unlinkPath(`${dir}/moved`));

  // The exec fifo's cases (lifecycle/start.ts): no writer reads 0 bytes; a writer that has not
  // written is EAGAIN; a written byte is read.
  const fifo = `${dir}/fifo`;
  execFileSync('mkfifo', [fifo]);
  const reader = openFile(fifo, O.RDONLY | O.NONBLOCK, 0);
  const buf = new Uint8Array(1);
  out.fifoNoWriter = attempt(() => readInto(reader, buf));
  const writer = openFile(fifo, O.WRONLY | O.NONBLOCK, 0);
  out.fifoEmpty = attempt(() => readInto(reader, buf));
  writeAll(writer, '0');
  out.fifoByte = [attempt(() => readInto(reader, buf)), buf[0]];
  closeFile(writer);
  closeFile(reader);
  out.closeAgain = attempt(() => closeFile(reader));

  // sys/libc.ts's process calls (`run`): an orphaned grandchild comes to this subreaper, whose
  // waitpid tells how it ended.
  setChildSubreaper();
  const orphan = Number(execFileSync('sh', ['-c', '(sleep 0.2; exit 5) >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }));
  const deadline = Date.now() + 5000;
  let reaped = waitPidNow(orphan);
  while (!reaped && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    reaped = waitPidNow(orphan);
  }
  out.orphanReaped = reaped && { samePid: reaped.pid === orphan, code: reaped.code };

  // sys/pidfd.ts (`kill`): a signal reaches the process that started when recorded, and no other.
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  const pid = sleeper.pid!;
  const started = readProcStat(pid)!.starttime;
  const ended = new Promise((r) => sleeper.once('exit', (_code, sig) => r(sig)));
  out.pidfd = [
    await signalSameProcess(pid, started + 1, 15),
    await signalSameProcess(pid, started, 0),
    await signalSameProcess(pid, started, 15),
    await ended,
    await signalSameProcess(pid, started, 15),
  ];
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
