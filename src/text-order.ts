/**
 * Code-unit order, for sorting the names tsrun prints or writes (mount points, device types,
 * cgroup names): stable and the same on every engine. Not String.prototype.localeCompare: its
 * first call in Node sets up ICU's collator, a cost on create's path.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
