/** Go-style durations as the CRDs write them (`500ms`, `15m`, `1h30m`), for approval TTLs and recording bounds. */
const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new Error(`invalid duration ${JSON.stringify(text)}: write it like 500ms, 5s, 15m or 1h30m`);
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (UNIT_MS[part[2]!] ?? 0), 0);
}

export function durationSeconds(text: string): number {
  return durationMs(text) / 1000;
}
