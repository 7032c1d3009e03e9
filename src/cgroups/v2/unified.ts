/**
 * `linux.resources.unified`: each key is a file of the container's cgroup (no slashes), each
 * value written line by line. A missing file names the controller when it is not available.
 */
import { ConfigError, UnsupportedError } from '../../errors.js';
import { CgroupWriter, readOpt, showPath, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'unified');
  for (const [key, value] of Object.entries(res.unified ?? {})) {
    const field = `${F}.unified[${JSON.stringify(key)}]`;
    if (key.includes('/') || key === '.' || key === '..' || key === '') throw new ConfigError(`${field}: must be a file name (no slashes)`);
    if (typeof value !== 'string') throw new ConfigError(`${field}: the value must be a string`);
    for (const line of value.split('\n')) {
      if (line === '') continue;
      try {
        w.set(field, key, line);
      } catch (err) {
        if (err instanceof UnsupportedError && dir !== undefined) {
          const controller = key.split('.')[0]!;
          const available = (readOpt(fs, `${dir}/cgroup.controllers`) ?? '').split(/\s+/);
          if (controller !== 'cgroup' && !available.includes(controller)) {
            throw new UnsupportedError(`${err.message} (the ${controller} controller is not available in ${showPath(`${dir}/cgroup.controllers`)})`);
          }
        }
        throw err;
      }
    }
  }
  return w.writes;
}
