/**
 * v2 io, as runc's fs2/io.go and crun: blockIO.weight goes to io.bfq.weight as is when BFQ is
 * there, else to io.weight converted from [10, 1000] to [1, 10000]; per-device weights likewise
 * ("MAJOR:MINOR W"); the throttle lists become io.max lines "MAJOR:MINOR rbps=N" (wbps, riops,
 * wiops). Leaf weights have no v2 equivalent.
 */
import { UnsupportedError } from '../../errors.js';
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import { blkioWeightToIoWeight } from '../convert.js';
import type { CgroupWrite, LinuxResources, LinuxThrottleDevice } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'io');
  const b = res.blockIO;
  if (!b) return w.writes;
  const noLeaf = (field: string) =>
    new UnsupportedError(`${field}: cannot apply: leaf weights (blkio.leaf_weight*) do not exist on cgroup v2`);
  if (b.leafWeight !== undefined && b.leafWeight !== 0) throw noLeaf(`${F}.blockIO.leafWeight`);
  (b.weightDevice ?? []).forEach((d, i) => {
    if (d.leafWeight !== undefined && d.leafWeight !== 0) throw noLeaf(`${F}.blockIO.weightDevice[${i}].leafWeight`);
  });
  const bfq = w.exists('io.bfq.weight');
  if (b.weight !== undefined && b.weight !== 0) {
    const f = `${F}.blockIO.weight`;
    int(f, b.weight);
    if (bfq) w.set(f, 'io.bfq.weight', String(b.weight));
    else w.set(f, 'io.weight', String(blkioWeightToIoWeight(b.weight)));
  }
  (b.weightDevice ?? []).forEach((d, i) => {
    if (d.weight === undefined || d.weight === 0) return;
    const f = `${F}.blockIO.weightDevice[${i}].weight`;
    int(f, d.weight);
    if (bfq) w.set(f, 'io.bfq.weight', `${d.major}:${d.minor} ${d.weight}`);
    else w.set(f, 'io.weight', `${d.major}:${d.minor} ${blkioWeightToIoWeight(d.weight)}`);
  });
  const throttle = (list: LinuxThrottleDevice[] | undefined, name: string, key: string) =>
    (list ?? []).forEach((d, i) => {
      const f = `${F}.blockIO.${name}[${i}]`;
      w.set(f, 'io.max', `${d.major}:${d.minor} ${key}=${int(f, d.rate)}`);
    });
  throttle(b.throttleReadBpsDevice, 'throttleReadBpsDevice', 'rbps');
  throttle(b.throttleWriteBpsDevice, 'throttleWriteBpsDevice', 'wbps');
  throttle(b.throttleReadIOPSDevice, 'throttleReadIOPSDevice', 'riops');
  throttle(b.throttleWriteIOPSDevice, 'throttleWriteIOPSDevice', 'wiops');
  return w.writes;
}
