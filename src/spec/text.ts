/** Keeps a message to one line of bounded length, whatever strings a hostile config holds. */
export function oneLine(s: string, max = 400): string {
  // eslint-disable-next-line no-control-regex
  const safe = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return safe.length > max ? `${safe.slice(0, max - 3)}...` : safe;
}
