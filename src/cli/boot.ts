/**
 * tsrun's installed entry point (dist/cjs/main.cjs, what bin/tsrun runs on Node): the only file
 * Node's own loader compiles, without a code cache, so it holds nothing but the loader. The CLI
 * (dist/cjs/cli.cjs, from bundle-entry.ts) comes from its code cache, and the CLI loads each
 * command's bundle the same way: cheaper per call than compiling the CLI here (docs/performance.md).
 */
import { join } from 'node:path';
import { loadBundle } from './code-cache.js';

declare const __dirname: string;

loadBundle(join(__dirname, 'cli.cjs'));
