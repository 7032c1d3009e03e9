/**
 * The calls the systemd driver makes on org.freedesktop.systemd1.Manager (runc's dbus.go and
 * common.go over go-systemd): StartTransientUnit and StopUnit, each waiting for its job's
 * JobRemoved signal; SetUnitProperties; ResetFailedUnit; the manager's Version and ControlGroup.
 * Loaded only by the systemd driver (systemd-manager.ts imports it when it first talks to systemd).
 */
import { existsSync } from 'node:fs';
import { TsrunError, UnsupportedError } from '../errors.js';
import { DBusConnection, DBusError, parseBusAddress, type BusAddress } from './dbus/connection.js';
import type { Message, Variant } from './dbus/marshal.js';
import type { UnitProperty } from './systemd-props.js';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const JOB_TIMEOUT_MS = 30_000;
const JOB_REMOVED_MATCH = `type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='JobRemoved'`;

/**
 * Where to reach systemd, in the order runc (go-systemd) tries: root, the system bus
 * ($DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket), then systemd's private socket;
 * a user, its session bus ($DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus), then the user
 * manager's private socket ($XDG_RUNTIME_DIR/systemd/private).
 */
export function systemdAddresses(user: boolean, env: NodeJS.ProcessEnv = process.env, exists = existsSync): BusAddress[] {
  if (user) {
    const fromEnv = env.DBUS_SESSION_BUS_ADDRESS ? parseBusAddress(env.DBUS_SESSION_BUS_ADDRESS) : undefined;
    const runtime = env.XDG_RUNTIME_DIR;
    const out: BusAddress[] = [];
    if (fromEnv) out.push({ path: fromEnv, bus: true });
    else if (runtime && exists(`${runtime}/bus`)) out.push({ path: `${runtime}/bus`, bus: true });
    // The user manager's own socket, there without dbus-user-session.
    if (runtime && exists(`${runtime}/systemd/private`)) out.push({ path: `${runtime}/systemd/private`, bus: false });
    if (out.length === 0) {
      throw new UnsupportedError(
        'systemd cgroup driver: rootless: no user bus ($DBUS_SESSION_BUS_ADDRESS unset, no $XDG_RUNTIME_DIR/bus or systemd/private): the user needs a login session with systemd --user (or use the cgroupfs driver)',
      );
    }
    return out;
  }
  const fromEnv = env.DBUS_SYSTEM_BUS_ADDRESS ? parseBusAddress(env.DBUS_SYSTEM_BUS_ADDRESS) : undefined;
  const out: BusAddress[] = [];
  if (fromEnv) out.push({ path: fromEnv, bus: true });
  else if (exists('/run/dbus/system_bus_socket')) out.push({ path: '/run/dbus/system_bus_socket', bus: true });
  out.push({ path: '/run/systemd/private', bus: false });
  return out;
}

export interface JobResult {
  unit: string;
  result: string;
}

/** A connection to systemd's manager. */
export class SystemdClient {
  /** JobRemoved signals by job path, kept from the moment we listen: one may beat its call's reply. */
  private readonly removed = new Map<string, JobResult>();
  private readonly waiters = new Map<string, (r: JobResult) => void>();

  private constructor(readonly conn: DBusConnection) {
    conn.onSignal((m) => this.onSignal(m));
  }

  /** Connects to the first address that answers; the error of the last one otherwise. */
  static async connect(addresses: BusAddress[]): Promise<SystemdClient> {
    let last: unknown;
    for (const a of addresses) {
      try {
        const conn = await DBusConnection.open(a);
        const c = new SystemdClient(conn);
        if (a.bus) await c.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [JOB_REMOVED_MATCH]);
        return c;
      } catch (e) {
        last = e;
      }
    }
    throw new TsrunError(`systemd cgroup driver: cannot reach systemd over D-Bus: ${(last as Error).message}`);
  }

  close(): void {
    this.conn.close();
  }

  private call(destination: string, path: string, iface: string, member: string, signature?: string, body?: unknown[]): Promise<unknown[]> {
    return this.conn.call({ destination: this.conn.address.bus ? destination : undefined, path, interface: iface, member, ...(signature ? { signature, body } : {}) });
  }

  private manager(member: string, signature?: string, body?: unknown[]): Promise<unknown[]> {
    return this.call(SYSTEMD, MANAGER_PATH, MANAGER, member, signature, body);
  }

  private onSignal(m: Message): void {
    if (m.member !== 'JobRemoved' || m.interface !== MANAGER) return;
    const [, job, unit, result] = m.body as [number, string, string, string];
    const waiter = this.waiters.get(job);
    if (waiter) waiter({ unit, result });
    else this.removed.set(job, { unit, result });
  }

  /** Resolves with the job's result ("done", "failed", "canceled", ...) once systemd removes it. */
  private waitJob(job: string, what: string): Promise<JobResult> {
    const early = this.removed.get(job);
    if (early) return Promise.resolve(early);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(job);
        reject(new TsrunError(`systemd cgroup driver: ${what}: no answer from systemd in ${JOB_TIMEOUT_MS / 1000} s (job ${job})`));
      }, JOB_TIMEOUT_MS);
      this.waiters.set(job, (r) => {
        clearTimeout(timer);
        this.waiters.delete(job);
        resolve(r);
      });
    });
  }

  /**
   * runc's startUnit: StartTransientUnit(name, "replace", props, []) and wait for its job. A unit
   * of that name left over (failed) is reset and tried once more; a job not "done" is an error.
   */
  async startTransientUnit(unit: string, props: UnitProperty[]): Promise<void> {
    for (let retry = true; ; retry = false) {
      let job: string;
      try {
        [job] = (await this.manager('StartTransientUnit', 'ssa(sv)a(sa(sv))', [unit, 'replace', props, []])) as [string];
      } catch (e) {
        if (retry && e instanceof DBusError && e.dbusName === `${SYSTEMD}.UnitExists`) {
          await this.resetFailedUnit(unit);
          continue;
        }
        throw new TsrunError(`systemd cgroup driver: start unit ${unit}: ${(e as Error).message}`);
      }
      const r = await this.waitJob(job, `start unit ${unit}`);
      if (r.result !== 'done') {
        await this.resetFailedUnit(unit);
        throw new TsrunError(`systemd cgroup driver: start unit ${unit}: the job ended "${r.result}" (journalctl -u ${unit} says why)`);
      }
      return;
    }
  }

  /**
   * runc's stopUnit: StopUnit(name, "replace"), wait for the job, then ResetFailedUnit so that a
   * failed unit goes too. A unit already gone is fine. Returns the job's result when there was one.
   */
  async stopUnit(unit: string): Promise<string | undefined> {
    let job: string;
    try {
      [job] = (await this.manager('StopUnit', 'ss', [unit, 'replace'])) as [string];
    } catch (e) {
      if (e instanceof DBusError && e.dbusName === `${SYSTEMD}.NoSuchUnit`) return undefined;
      throw new TsrunError(`systemd cgroup driver: stop unit ${unit}: ${(e as Error).message}`);
    }
    const r = await this.waitJob(job, `stop unit ${unit}`);
    await this.resetFailedUnit(unit);
    return r.result;
  }

  /** ResetFailedUnit; a unit that is not failed, or gone, is fine. */
  async resetFailedUnit(unit: string): Promise<void> {
    try {
      await this.manager('ResetFailedUnit', 's', [unit]);
    } catch (e) {
      if (!(e instanceof DBusError)) throw e;
    }
  }

  /** SetUnitProperties(name, runtime, props): runtime only, as runc (nothing under /etc). */
  async setUnitProperties(unit: string, props: UnitProperty[]): Promise<void> {
    try {
      await this.manager('SetUnitProperties', 'sba(sv)', [unit, true, props]);
    } catch (e) {
      throw new TsrunError(`systemd cgroup driver: set properties of ${unit}: ${(e as Error).message}`);
    }
  }

  /** A property of the manager (Version, ControlGroup, ...). */
  async managerProperty(name: string): Promise<unknown> {
    const [v] = (await this.call(SYSTEMD, MANAGER_PATH, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [MANAGER, name])) as [Variant];
    return v.value;
  }
}
