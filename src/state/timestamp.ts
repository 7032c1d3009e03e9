/**
 * RFC 3339 UTC timestamps ("2026-11-28T10:58:14.123Z", what Date.prototype.toISOString prints),
 * computed from the epoch milliseconds: Node's first toISOString sets up the local time zone
 * (a cost on every create), which a UTC string does not need.
 */

const DAY_MS = 86_400_000;

/** Year, month (1-12), day of the proleptic Gregorian calendar for days since 1970-01-01 (H. Hinnant's civil_from_days). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** ms since the epoch (default: now) as toISOString formats it, for years 0 to 9999. */
export function isoTimestamp(ms: number = Date.now()): string {
  const days = Math.floor(ms / DAY_MS);
  const [y, mo, d] = civilFromDays(days);
  let rest = ms - days * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const s = Math.floor(rest / 1000);
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(rest - s * 1000, 3)}Z`;
}
