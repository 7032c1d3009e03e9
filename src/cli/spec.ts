import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SysError, UsageError } from '../errors.js';
import { defaultSpec } from '../lifecycle/default-spec.js';
import type { TsrunCommand } from './command.js';

export default {
  command: 'spec',
  describe: 'write a default config.json into the bundle directory',
  builder: (y) =>
    y
      .option('bundle', { alias: 'b', type: 'string', describe: 'where to write config.json (default: current directory)' })
      .option('rootless', { type: 'boolean', describe: 'a config for a container run by a non-root user' })
      .option('hardened', {
        type: 'boolean',
        describe: "tsrun's stricter default instead of runc's: a cgroup namespace, the default seccomp profile, no ambient capabilities, powercap masked",
      }),
  run(a) {
    const file = join(resolve(a.bundle ?? '.'), 'config.json');
    if (existsSync(file)) throw new UsageError(`File ${file} exists. Remove it first`);
    try {
      // The global --rootless (a string: runc's true|false|auto) shadows this boolean flag, so a bare
      // `spec --rootless` arrives as "" (userns issue).
      const rootless = (a.rootless as unknown) === true || (a.rootless as unknown) === '' || (a.rootless as unknown) === 'true';
      writeFileSync(file, JSON.stringify(defaultSpec({ rootless, hardened: a.hardened === true }), null, '\t') + '\n', { mode: 0o666 });
    } catch (e) {
      throw SysError.fromNode('write', file, e);
    }
  },
} satisfies TsrunCommand<{ bundle?: string; rootless?: boolean; hardened?: boolean }>;
