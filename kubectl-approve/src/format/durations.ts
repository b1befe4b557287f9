/**
 * Durations the way kubectl prints them (k8s.io/apimachinery/pkg/util/duration.HumanDuration):
 * precise while short ("90s", "4m30s"), coarser as they grow ("3h", "5d"), so columns stay narrow
 * and a glance is enough.
 */

export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    const days = Math.floor(hours / 24);
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** How long ago `iso` was, or `<unknown>` when it is missing or not a date. */
export function age(iso: string | undefined, now: Date): string {
  const at = parseTime(iso);
  return at === undefined ? '<unknown>' : humanDuration(now.getTime() - at);
}

/** "in 4m" before `iso`, "expired 2m ago" after it. */
export function expiresIn(iso: string | undefined, now: Date): string {
  const at = parseTime(iso);
  if (at === undefined) return '<unknown>';
  const left = at - now.getTime();
  return left > 0 ? `in ${humanDuration(left)}` : `expired ${humanDuration(-left)} ago`;
}

export function parseTime(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : at;
}
