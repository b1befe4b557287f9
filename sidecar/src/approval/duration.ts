/** Go-style durations as the CRDs write them (`15m`, `1h30m`, `90s`) to seconds. */
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1 };

export function durationSeconds(text: string): number {
  const parts = [...text.matchAll(/(\d+)([hms])/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new Error(`invalid duration ${JSON.stringify(text)}: use hours, minutes and seconds, like 1h30m or 15m`);
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (UNIT_SECONDS[part[2]!] ?? 0), 0);
}
