/** Progress of a long unpack or commit on stderr, when stderr is a terminal (a log stays clean). */
export interface Progress {
  /** `label` is what is being worked on, `count` how many entries so far. */
  update(label: string, count: number): void;
  done(): void;
}

const SILENT: Progress = { update: () => undefined, done: () => undefined };

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  let last = 0;
  let shown = false;
  return {
    update(label, count) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[K${label}: ${count} entries`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
