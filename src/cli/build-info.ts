/**
 * What the build stamps into tsrun: the commit (`git describe`) it was built from, through a
 * define of the bundler (scripts/bundle.mjs for Node, scripts/engine.sh for Bun); "unknown" for a
 * build outside git, or tsc's unbundled output.
 */
declare const TSRUN_BUILD_COMMIT: string | undefined;

export const BUILD_COMMIT: string = typeof TSRUN_BUILD_COMMIT === 'string' && TSRUN_BUILD_COMMIT !== '' ? TSRUN_BUILD_COMMIT : 'unknown';
