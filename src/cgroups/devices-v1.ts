/**
 * v1 device cgroup: computes the writes from the cgroup's current state (devices.list) to the
 * wanted rules and makes them, each rule one write to devices.allow or devices.deny. A fresh
 * cgroup inherits allow-all, so creation writes "a *:* rwm" to devices.deny first, then one
 * allow per exception.
 */
import { CgroupWriter, readCg } from './fs.js';
import { DeviceEmulator, ruleString, type DeviceRule } from './devices-rules.js';
import type { CgroupWrite } from './types.js';

export const DEVICES_FIELD = 'linux.resources.devices';

export function applyDevicesV1(w: CgroupWriter, rules: DeviceRule[]): CgroupWrite[] {
  const target = DeviceEmulator.of(rules);
  if (w.dir === undefined) {
    // No devices hierarchy: only an allow-all request can be honoured by doing nothing.
    if (target.defaultAllow && target.exceptions.size === 0) return [];
    throw w.unavailable(DEVICES_FIELD, 'devices.allow');
  }
  const current = DeviceEmulator.fromDevicesList(readCg(w.fs, w.path('devices.list')));
  const start = w.writes.length;
  for (const r of current.transition(target)) {
    w.set(DEVICES_FIELD, r.allow ? 'devices.allow' : 'devices.deny', ruleString(r));
  }
  return w.writes.slice(start);
}
