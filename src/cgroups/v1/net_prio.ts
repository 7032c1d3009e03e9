/** v1 net_prio: each network.priorities entry -> "IFNAME PRIO" to net_prio.ifpriomap. */
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'net_prio');
  (res.network?.priorities ?? []).forEach((p, i) => {
    const f = `${F}.network.priorities[${i}]`;
    w.set(f, 'net_prio.ifpriomap', `${p.name} ${int(f, p.priority)}`);
  });
  return w.writes;
}
