// Bundles the CLI for start-up speed: dist/cjs/main.cjs, the boot file Node runs (src/cli/boot.ts:
// a loader and nothing else), dist/cjs/cli.cjs, the dispatcher, and one CommonJS bundle per
// command, dist/cjs/cmd-NAME.cjs, holding only the code that command reaches. koffi stays external
// (a native addon, loaded on first use). Runs after tsc (the Makefile's order): the commands come
// from tsc's output of src/cli/commands.ts, the list the CLI itself goes by.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { COMMAND_NAMES, commandModule } from '../dist/src/cli/commands.js';

const entryPoints = { main: 'src/cli/boot.ts', cli: 'src/cli/bundle-entry.ts' };
for (const name of COMMAND_NAMES) entryPoints[`cmd-${name}`] = commandModule(name);
// The commit `tsrun --version` prints (src/cli/build-info.ts).
const commit = execFileSync('bash', ['scripts/commit.sh'], { encoding: 'utf8' }).trim();

rmSync('dist/cjs.new', { recursive: true, force: true });
await build({
  entryPoints,
  // Built beside, then swapped in: a tsrun running meanwhile never sees half a bundle set.
  outdir: 'dist/cjs.new',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Whitespace and syntax only (names stay, for readable stack traces): Node reads and hashes
  // less source per command.
  minifyWhitespace: true,
  minifySyntax: true,
  // yargs prints --help only: loaded from node_modules then, never bundled into a command path.
  external: ['koffi', 'yargs'],
  // import.meta.dirname and .filename locate build/, schemas/ and node_modules/: in CommonJS they
  // are __dirname and __filename. Any other import.meta (.url) would be empty here: an error.
  define: { 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename', TSRUN_BUILD_COMMIT: JSON.stringify(commit) },
  logLevel: 'warning',
  logOverride: { 'unsupported-require-call': 'silent', 'empty-import-meta': 'error' },
});
const made = readdirSync('dist/cjs.new').filter((f) => f.endsWith('.cjs'));
if (made.length !== COMMAND_NAMES.length + 2) throw new Error(`bundle: expected ${COMMAND_NAMES.length + 2} files, got ${made.length}`);
rmSync('dist/cjs.old', { recursive: true, force: true });
try {
  renameSync('dist/cjs', 'dist/cjs.old');
} catch {
  /* first build */
}
renameSync('dist/cjs.new', 'dist/cjs');
rmSync('dist/cjs.old', { recursive: true, force: true });
