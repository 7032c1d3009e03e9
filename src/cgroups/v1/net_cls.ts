/** v1 net_cls: network.classID -> net_cls.classid. */
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'net_cls');
  const id = res.network?.classID;
  if (id !== undefined && id !== 0) w.set(`${F}.network.classID`, 'net_cls.classid', int(`${F}.network.classID`, id));
  return w.writes;
}
