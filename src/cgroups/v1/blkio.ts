/**
 * v1 blkio, as runc's fs/blkio.go: the weight files are blkio.weight / blkio.weight_device, or the
 * BFQ ones (blkio.bfq.weight / blkio.bfq.weight_device) when only those exist; then leaf weights
 * and the four throttle lists, one "MAJOR:MINOR VALUE" write per device.
 */
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources, LinuxThrottleDevice } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'blkio');
  const b = res.blockIO;
  if (!b) return w.writes;
  const bfq = !w.exists('blkio.weight') && w.exists('blkio.bfq.weight');
  const weightFile = bfq ? 'blkio.bfq.weight' : 'blkio.weight';
  const weightDeviceFile = bfq ? 'blkio.bfq.weight_device' : 'blkio.weight_device';
  if (b.weight !== undefined && b.weight !== 0) w.set(`${F}.blockIO.weight`, weightFile, int(`${F}.blockIO.weight`, b.weight));
  if (b.leafWeight !== undefined && b.leafWeight !== 0) {
    w.set(`${F}.blockIO.leafWeight`, 'blkio.leaf_weight', int(`${F}.blockIO.leafWeight`, b.leafWeight));
  }
  (b.weightDevice ?? []).forEach((d, i) => {
    const f = `${F}.blockIO.weightDevice[${i}]`;
    if (d.weight !== undefined && d.weight !== 0) w.set(`${f}.weight`, weightDeviceFile, `${d.major}:${d.minor} ${int(f, d.weight)}`);
    if (d.leafWeight !== undefined && d.leafWeight !== 0) {
      w.set(`${f}.leafWeight`, 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${int(f, d.leafWeight)}`);
    }
  });
  const throttle = (list: LinuxThrottleDevice[] | undefined, name: string, file: string) =>
    (list ?? []).forEach((d, i) => w.set(`${F}.blockIO.${name}[${i}]`, file, `${d.major}:${d.minor} ${int(`${F}.blockIO.${name}[${i}]`, d.rate)}`));
  throttle(b.throttleReadBpsDevice, 'throttleReadBpsDevice', 'blkio.throttle.read_bps_device');
  throttle(b.throttleWriteBpsDevice, 'throttleWriteBpsDevice', 'blkio.throttle.write_bps_device');
  throttle(b.throttleReadIOPSDevice, 'throttleReadIOPSDevice', 'blkio.throttle.read_iops_device');
  throttle(b.throttleWriteIOPSDevice, 'throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device');
  return w.writes;
}
