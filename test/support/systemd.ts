/** What the systemd driver's tests ask systemd (systemctl), and their clean-up of a unit. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Why a test cannot run for want of systemd as PID 1, or undefined. */
export function systemdMissing(): string | undefined {
  return existsSync('/run/systemd/system') ? undefined : 'needs systemd as PID 1 (the test VM: make test-vm)';
}

/** `systemctl show UNIT -p A -p B` as a map. */
export function showUnit(unit: string, ...props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', unit, ...props.flatMap((p) => ['-p', p])], { encoding: 'utf8' });
  return Object.fromEntries(r.stdout.split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

export const unitProperty = (unit: string, prop: string): string | undefined => showUnit(unit, prop)[prop];

/** Stops a unit a failed test may have left, and forgets it if it failed. */
export function stopUnit(unit: string): void {
  spawnSync('systemctl', ['stop', unit], { stdio: 'ignore' });
  spawnSync('systemctl', ['reset-failed', unit], { stdio: 'ignore' });
}
